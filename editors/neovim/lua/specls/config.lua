-- The client configuration of the specls language server (see `lsp/specls.lua`).
local M = {}

--- The file types specls attaches to; `root_dir` decides, per buffer, whether it is a spec.
M.filetypes = {
  'markdown',
  'yaml',
  'python',
  'rust',
  'go',
  'typescript',
  'typescriptreact',
  'javascript',
  'javascriptreact',
}

--- Refresh the code lenses of every buffer specls is attached to.
function M.refresh_lenses(client_id)
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.lsp.get_clients({ bufnr = buf, id = client_id })[1] then
      vim.lsp.codelens.refresh({ bufnr = buf })
    end
  end
end

--- The default configuration, for `vim.lsp.config`/`vim.lsp.enable` (Neovim 0.11+).
---@return vim.lsp.Config
function M.default()
  return {
    cmd = { 'specls', 'lsp' },
    filetypes = M.filetypes,
    -- Used when `root_dir` is replaced by a user's own configuration.
    root_markers = { 'specls.toml', '.git' },
    root_dir = function(bufnr, on_dir)
      local attach, root = require('specls.detect').should_attach(bufnr)
      if attach then
        on_dir(root)
      end
    end,
    capabilities = {
      workspace = { codeLens = { refreshSupport = true } },
    },
    handlers = {
      -- Neovim 0.11 does not answer this request by itself: results of a test run or a compile
      -- change the lenses.
      ['workspace/codeLens/refresh'] = function(_, _, ctx)
        vim.schedule(function()
          M.refresh_lenses(ctx.client_id)
        end)
        return vim.NIL
      end,
    },
  }
end

--- Register the server with nvim-lspconfig's older `require('lspconfig').specls.setup{}` API
--- (newer nvim-lspconfig reads `lsp/specls.lua` from this plugin directly).
function M.register_lspconfig()
  local ok, configs = pcall(require, 'lspconfig.configs')
  if not ok or configs.specls ~= nil then
    return
  end
  local d = M.default()
  configs.specls = {
    default_config = {
      cmd = d.cmd,
      filetypes = d.filetypes,
      capabilities = d.capabilities,
      handlers = d.handlers,
      root_dir = function(_, bufnr)
        local attach, root = require('specls.detect').should_attach(bufnr or 0)
        if attach then
          return root or vim.fs.dirname(vim.api.nvim_buf_get_name(bufnr or 0))
        end
        return nil
      end,
      single_file_support = true,
    },
    docs = { description = 'specls: language server for spec-driven development' },
  }
end

return M
