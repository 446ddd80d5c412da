// @ts-check
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import mdx from '@astrojs/mdx';
import { satteri } from '@astrojs/markdown-satteri';
import rehypeKatex from 'rehype-katex';
import { labSnippets } from './src/snippets/expressive-code.ts';
import { MARKDOWN_FEATURES } from './src/snippets/extract.ts';

/**
 * Math: Astro 7 renders Markdown/MDX with Sätteri, which does not run
 * remark/rehype plugins (those need the separate unified pipeline from
 * @astrojs/markdown-remark, which would replace the MDX, Starlight and
 * Expressive Code integration with a second, slower engine). Sätteri parses
 * `$…$` / `$$…$$` itself (features.math, the same syntax as remark-math) into
 * `<code class="language-math math-inline|math-display">`, exactly the shape
 * rehype-katex expects. This Sätteri hast plugin hands each such element to
 * rehype-katex's own transform and puts KaTeX's HTML in its place. It runs
 * before Expressive Code (plugins from this config come first), so display
 * math never turns into a code block.
 */
const katexTransform = rehypeKatex({ output: 'htmlAndMathml' });
/** @type {import('satteri').HastPluginDefinition} */
const katexMath = {
  name: 'katex-math',
  element: {
    filter: ['pre', 'code'],
    visit(node, ctx) {
      const code = node.tagName === 'pre' ? node.children.find((c) => c.type === 'element' && c.tagName === 'code') : node;
      if (!code || code.type !== 'element') return;
      const classes = Array.isArray(code.properties?.className) ? code.properties.className : [];
      const display = classes.includes('math-display');
      if (!display && !classes.includes('math-inline')) return;
      if (node.tagName === 'code' && ctx.parent(node)?.type === 'element' && /** @type {any} */ (ctx.parent(node)).tagName === 'pre') return;
      const tex = ctx.textContent(code);
      /** @type {any} */
      const mathCode = {
        type: 'element',
        tagName: 'code',
        properties: { className: ['language-math', display ? 'math-display' : 'math-inline'] },
        children: [{ type: 'text', value: tex }],
      };
      /** @type {any} */
      const root = {
        type: 'root',
        children: [display ? { type: 'element', tagName: 'pre', properties: {}, children: [mathCode] } : mathCode],
      };
      katexTransform(root, /** @type {any} */ ({ message() {} }));
      ctx.replaceNode(node, root.children);
    },
  },
};

export default defineConfig({
  site: 'http://localhost:4321',
  markdown: {
    // Same features the snippet extractor parses with (src/snippets/extract.ts).
    // smartPunctuation is off: it would turn `--rm` in prose into `–rm` and
    // straight quotes into curly ones, changing the authors' text.
    processor: satteri({ features: { ...MARKDOWN_FEATURES }, hastPlugins: [katexMath] }),
  },
  integrations: [
    starlight({
      title: '실행되는 Docker 수업',
      description: '읽으면서 바로 실행해 보는 한국어 Docker 실습 강의',
      defaultLocale: 'root',
      locales: { root: { label: '한국어', lang: 'ko' } },
      components: {
        PageTitle: './src/components/PageTitle.astro',
        Search: './src/components/Search.astro',
      },
      // Starlight's Markdown transforms (asides from `:::note`, heading anchor
      // links) only run on its docs folder unless told about ours.
      markdown: { processedDirs: ['./content'] },
      customCss: ['katex/dist/katex.min.css', './src/styles/lab.css'],
      expressiveCode: {
        // Keep code exactly as written (no tab expansion), so the id the page
        // computes equals the id the extractor and runner compute.
        tabWidth: 0,
        // Seed 002 writes ```Dockerfile; Shiki only knows the lower-case id.
        shiki: { langAlias: { Dockerfile: 'dockerfile' } },
        plugins: [labSnippets()],
      },
      // Teaching order, explained on the start page. Listed by hand: Starlight's
      // `autogenerate` only sees entries under src/content/docs, not content/.
      // Each lesson's frontmatter `sidebar.order` and `sidebar.label` match.
      sidebar: [
        { slug: 'index', label: '시작하기' },
        {
          label: '수업',
          items: ['lessons/docker-intro', 'lessons/container-basics', 'lessons/container-lifecycle', 'lessons/isolation-and-operations'],
        },
      ],
    }),
    mdx(),
  ],
});
