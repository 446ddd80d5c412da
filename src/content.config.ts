import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { i18nLoader } from '@astrojs/starlight/loaders';
import { docsSchema, i18nSchema } from '@astrojs/starlight/schema';

// Starlight's docsLoader only reads src/content/docs; the lessons live in the
// top-level content/ folder, so we point Astro's glob loader there and keep
// Starlight's schema so every Starlight feature (sidebar, search, TOC) works.
export const collections = {
  docs: defineCollection({
    loader: glob({ base: './content', pattern: '**/[^_]*.{md,mdx}' }),
    schema: docsSchema(),
  }),
  // UI strings Starlight lacks for Korean (src/content/i18n/ko.json): Pagefind's
  // messages, which Starlight passes to the search dialog.
  i18n: defineCollection({ loader: i18nLoader(), schema: i18nSchema() }),
};
