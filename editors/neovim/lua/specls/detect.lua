-- Which buffers are specs: the same rules as the server (`server/core/src/kind.rs`), by name
-- first, then by content, never claiming unrelated Markdown or YAML (READMEs, CI files,
-- Kubernetes manifests). Spec buffers keep their 'filetype' (markdown / yaml), so Treesitter,
-- marksman and yaml-language-server go on working on them.
local M = {}

--- Top-level YAML keys that mark a YAML scenario spec.
M.yaml_spec_keys = {
  feature = true,
  scenarios = true,
  new_scenarios = true,
  chaos_scenarios = true,
  interaction = true,
  domain = true,
  domains = true,
  system = true,
  global_constraints = true,
}

--- Folders whose YAML files are specs when they have spec keys.
M.spec_folders = {
  specs = true,
  spec = true,
  scenarios = true,
  features = true,
  requirements = true,
  openspec = true,
  score = true,
}

--- How many lines of a buffer are read to decide by content.
M.max_lines = 500

local function has_top_level_key(lines, keys)
  for _, line in ipairs(lines) do
    local key = line:match('^([^%s#%-][^:]*):')
    if key and keys[vim.trim(key)] then
      return true
    end
  end
  return false
end

local function front_matter(lines)
  if lines[1] ~= '---' then
    return nil
  end
  local fm = {}
  for i = 2, #lines do
    if lines[i]:sub(1, 3) == '---' then
      return fm
    end
    fm[#fm + 1] = lines[i]
  end
  return fm
end

local function under_spec_folder(path)
  local parts = vim.split(path, '[/\\]')
  for i = 1, #parts - 1 do
    if M.spec_folders[parts[i]:lower()] then
      return true
    end
  end
  return false
end

local function looks_like_blueprint(lines)
  local fm = front_matter(lines)
  if fm and has_top_level_key(fm, { requirement_id = true, relevant_tests = true }) then
    return true
  end
  for _, l in ipairs(lines) do
    if vim.startswith(vim.trim(l), '```guardian') then
      return true
    end
  end
  return false
end

local function looks_like_markdown_spec(lines)
  for _, l in ipairs(lines) do
    local t = vim.trim(l)
    if t:sub(1, 1) == '#' then
      local title = vim.trim((t:gsub('^#+', '')))
      if vim.startswith(title, 'Scenario:') or vim.startswith(title, 'Requirement:') then
        return true
      end
    end
    if t:find('**Given**', 1, true) and t:find('**Then**', 1, true) then
      return true
    end
  end
  local fm = front_matter(lines)
  return fm ~= nil and has_top_level_key(fm, { type = true }) and has_top_level_key(fm, { name = true })
end

--- What a file is, from its path and its first lines: 'markdown-spec', 'yaml-spec',
--- 'arrangement', 'blueprint', or nil when it is not a spec.
---@param path string
---@param lines string[]
---@return string?
function M.kind(path, lines)
  local name = vim.fs.basename(path):lower()
  if
    name == 'arrangement.yaml'
    or name == 'arrangement.yml'
    or name:match('%.arrangement%.ya?ml$')
  then
    return 'arrangement'
  end
  if name:match('%.spec%.ya?ml$') then
    return 'yaml-spec'
  end
  if name:match('%.md$') or name:match('%.markdown$') then
    if looks_like_blueprint(lines) then
      return 'blueprint'
    end
    if name:match('%.spec%.md$') or name == 'spec.md' or looks_like_markdown_spec(lines) then
      return 'markdown-spec'
    end
    return nil
  end
  if (name:match('%.ya?ml$')) and under_spec_folder(path) and has_top_level_key(lines, M.yaml_spec_keys) then
    return 'yaml-spec'
  end
  return nil
end

--- Test files whose `@spec` markers and names link tests to scenarios.
---@param path string
---@return boolean
function M.is_test_file(path)
  local name = vim.fs.basename(path)
  return name:match('^test_.*%.py$') ~= nil
    or name:match('_test%.py$') ~= nil
    or name:match('_test%.go$') ~= nil
    or name:match('%.test%.[cm]?[jt]sx?$') ~= nil
    or name:match('%.spec%.[cm]?[jt]sx?$') ~= nil
    or (name:match('%.rs$') ~= nil and (path:find('/tests/', 1, true) ~= nil or name:match('_test%.rs$') ~= nil))
end

--- The spec kind of a buffer (nil: not a spec).
---@param bufnr integer
---@return string?
function M.buf_kind(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == '' then
    return nil
  end
  return M.kind(path, vim.api.nvim_buf_get_lines(bufnr, 0, M.max_lines, false))
end

--- The workspace root of a buffer: the nearest folder with `specls.toml`, else the nearest
--- with `.git`; nil when there is neither (single-file mode).
---@param bufnr integer
---@return string?
function M.root(bufnr)
  return vim.fs.root(bufnr, 'specls.toml') or vim.fs.root(bufnr, '.git')
end

--- Whether specls should attach to a buffer, and with which root: a spec (by the rules above),
--- any Markdown or YAML file of a workspace that has a `specls.toml` (its `[specs]` globs may
--- name more files), or a test file of such a workspace or of one where specls already runs.
---@param bufnr integer
---@return boolean attach, string? root
function M.should_attach(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == '' or vim.bo[bufnr].buftype ~= '' then
    return false, nil
  end
  local root = M.root(bufnr)
  local configured = vim.fs.root(bufnr, 'specls.toml') ~= nil
  local ft = vim.bo[bufnr].filetype
  if ft == 'markdown' or ft == 'yaml' then
    if M.buf_kind(bufnr) or configured then
      return true, root
    end
    return false, nil
  end
  if M.is_test_file(path) and root ~= nil then
    if configured then
      return true, root
    end
    -- Without a specls.toml, only where specls already runs (a spec of the root is open).
    for _, client in ipairs(vim.lsp.get_clients({ name = 'specls' })) do
      if client.root_dir == root then
        return true, root
      end
    end
  end
  return false, nil
end

return M
