// The formatter of meshwarden (docs/adr/0115-lint-and-format.md): `npm run format` rewrites,
// `npm run format:check` (scripts/test.sh) fails on any file it would change. The options are the
// ones that change the least of the code as it was written before the formatter (measured in the ADR).
/** @type {import('prettier').Config} */
export default {
  printWidth: 200,
  singleQuote: true,
  trailingComma: 'all',
  // Template literals hold YAML, Lua and Envoy config whose exact text tests compare: never reflowed.
  embeddedLanguageFormatting: 'off',
};
