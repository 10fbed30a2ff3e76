-- specls user commands (`:help specls-commands`). The server starts once
-- `require('specls').setup()` has run (lazy.nvim does it through `opts`).
if vim.g.loaded_specls then
  return
end
vim.g.loaded_specls = true

require('specls.commands').create()
