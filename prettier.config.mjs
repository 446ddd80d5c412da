// @ts-check
/**
 * One formatting convention for the tree: `npm run format` writes it,
 * `npm run format:check` (CI, .ci/run) checks it. The options are the ones
 * that change the fewest lines of the code as it was written by hand
 * (measured over every file, printWidth 100…160: 150 is the minimum).
 * .astro components keep Starlight's own style (tabs, width 100, es5 commas):
 * src/components/Search.astro is a fenced copy of Starlight's component and
 * must stay comparable with it line by line (tests/site/search-upstream.test.ts).
 * What is not formatted, and why: .prettierignore.
 */
/** @type {import('prettier').Config} */
export default {
  printWidth: 150,
  singleQuote: true,
  plugins: ['prettier-plugin-astro'],
  overrides: [
    {
      files: '*.astro',
      options: { useTabs: true, printWidth: 100, trailingComma: 'es5' },
    },
  ],
};
