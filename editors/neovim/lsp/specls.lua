-- specls for `vim.lsp.enable('specls')` (Neovim 0.11+). Override any field with
-- `vim.lsp.config('specls', { ... })`, or call `require('specls').setup({ ... })`.
return require('specls.config').default()
