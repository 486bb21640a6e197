// Type-aware linting, plus the architectural boundaries of STYLE.md point 4.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// From a file in src/modules/<name>/, a sibling module is `../<other>/…`: only its index.js.
const moduleInternals = {
  regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.js$)',
  message: 'A module imports another module only through its index.ts.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/platform/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/privacy/**', '**/privacy'],
              message: 'platform/ never imports privacy/.',
            },
            {
              group: ['**/modules/**', '**/modules'],
              message: 'platform/ never imports modules/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/privacy/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/modules/**', '**/modules'], message: 'privacy/ never imports modules/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/modules/*/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [moduleInternals] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/platform/views/client/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  prettier,
);
