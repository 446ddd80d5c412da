// @ts-check
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import mdx from '@astrojs/mdx';

// The lessons live in ./content (see src/content.config.ts), not in src/content/docs.
export default defineConfig({
  site: 'http://localhost:4321',
  integrations: [
    starlight({
      title: '실행되는 Docker 수업',
      defaultLocale: 'root',
      locales: { root: { label: '한국어', lang: 'ko' } },
      sidebar: [{ label: '시작하기', slug: 'index' }],
    }),
    mdx(),
  ],
});
