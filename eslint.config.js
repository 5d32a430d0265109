// The linter of meshwarden (docs/adr/0115-lint-and-format.md), run by `npm run lint:ts` in
// scripts/test.sh right after the layer rules. Type-aware: the rules below read the TypeScript types
// (typescript-eslint's project service over tsconfig.json), which is what lets them see a promise
// nobody awaits or a switch that misses a member of a union. Zero warnings: every rule is an error.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Test-only code (ADR 0108's naming): tests, their kits, fixtures, benchmark drivers, the e2e harness. */
const testCode = ['**/*.test.ts', '**/*.testkit.ts', '**/fixtures.ts', '**/bench-*.ts', 'operator/test/**', 'e2e/**', 'bench/**'];

export default defineConfig(
  {
    // Generated or vendored: json-schema-to-typescript writes types.gen.ts (npm run generate).
    ignores: ['dist/**', '.tools/**', 'node_modules/**', 'operator/src/api/types.gen.ts'],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // --- promises: an operator is a long-running process; a rejection nobody handles kills it or is lost ---
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits; a subtest
          // (t.test) is not in this list: it must be awaited or the parent ends without it.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch skips the catch when the promise rejects.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // Passing on a caught error (typed unknown) as it is, is fine; a string or plain object is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // --- unions: a new member (patch operation, output format, hazard kind) must be placed, not fall
      // into a `default` silently; a switch over a plain string or number needs a `default`.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: true }],
      // An `as X` or `!` the types already give hides the one that matters.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // The house convention for deliberately unused names is a leading underscore.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // JSON from users and from Envoy is `unknown`; String(x) on it is a deliberate coercion to a key or
      // a message fragment, which this rule cannot tell from a forgotten toString (ADR 0115).
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Test code reads JSON back (`any` by nature) and fakes async interfaces with sync bodies; the
    // promise and switch rules above still apply to it.
    files: testCode,
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
