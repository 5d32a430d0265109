// The layer rules of meshwarden (docs/adr/0108-layer-rules.md), checked by `npm run check:layers`
// in scripts/test.sh right after the typecheck. A violation fails the run: fix the import (move the
// shared piece down, into the lower module or a small new one) rather than loosening a rule.

/** Test-only code: tests, their kits, fixtures and benchmark drivers. Never imported by what ships. */
const TEST_CODE = '(\\.test\\.ts|\\.testkit\\.ts|/fixtures\\.ts|/bench-[^/]+\\.ts)$';

/** The pure core: it turns resources into Envoy config and judges it, without any I/O shell. */
const CORE = '^operator/src/(validate|render|api|versions)/';

/** The shells: each wraps the core in one way of being run (operator, webhook, server, CLI, xDS). */
const SHELLS = '^operator/src/(controller|webhook|serve|cli|xds)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles tangle the layers: a module cannot be understood, tested or moved without the ' +
        'other. Type-only imports count (tsPreCompilationDeps): a type cycle is the same design cycle. ' +
        'Break it by moving the shared piece into the lower module or a small new one.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-not-to-shells',
      severity: 'error',
      comment:
        'validate/, render/, api/ and versions/ are the pure core: they import nothing from the shells ' +
        '(controller, webhook, serve, cli, xds). Move what both need into the core or a shared module. ' +
        'Tests of the core may use a shell as a tool (a test certificate from webhook/certs.ts): nothing imports a test.',
      from: { path: CORE, pathNot: TEST_CODE },
      to: { path: SHELLS },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      comment: 'Code that ships never imports tests, test kits, fixtures or benchmark drivers: they are not ' + 'built into dist/ (tsconfig.build.json), so such an import would fail at run time.',
      from: { path: '^operator/src/', pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: 'src-not-to-test-trees',
      severity: 'error',
      comment: 'Code that ships never imports from operator/test, operator/tools (generators), e2e/ or bench/: ' + 'none of them is built into dist/.',
      from: { path: '^operator/src/', pathNot: TEST_CODE },
      to: { path: '^(operator/(test|tools)|e2e|bench)/' },
    },
  ],
  options: {
    // The operator's source is what the rules judge (npm run check:layers cruises operator/src);
    // the other trees are kept only to see an import into them.
    includeOnly: '^(operator|e2e|bench)/',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
