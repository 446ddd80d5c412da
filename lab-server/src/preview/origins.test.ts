import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreviewOrigins } from './origins.ts';

const ports = () => ({ preview: 4322, lab: 4321 });

test('without LAB_PREVIEW_ORIGIN the preview is the lab host name on the preview port', () => {
  const o = new PreviewOrigins({ configured: undefined, labOrigins: [], ports });
  assert.equal(o.forLab('lab.school.kr:4321', false), 'http://lab.school.kr:4322');
  assert.equal(o.forLab('[::1]:4321', true), 'https://[::1]:4322');
  assert.equal(o.forPreview('lab.school.kr:4322', false), 'http://lab.school.kr:4322');
  assert.deepEqual(o.frameAncestors('lab.school.kr:4322', false), ['http://lab.school.kr:4321']);
  assert.deepEqual(o.frameSources(), ['http://*:4322', 'https://*:4322']);
});

test('with LAB_PREVIEW_ORIGIN and a public origin, those and only those', () => {
  const o = new PreviewOrigins({ configured: 'https://preview.example.org', labOrigins: ['https://lab.example.org'], ports });
  assert.equal(o.forLab('lab.example.org', true), 'https://preview.example.org');
  assert.deepEqual(o.frameAncestors('preview.example.org', true), ['https://lab.example.org']);
  assert.deepEqual(o.frameSources(), ['https://preview.example.org']);
});

test("the lab's pages may frame the preview origin and nothing else", async () => {
  const { contentSecurityPolicy } = await import('../static-site.ts');
  const csp = contentSecurityPolicy([], [], new PreviewOrigins({ configured: undefined, labOrigins: [], ports }).frameSources());
  assert.match(csp, /; frame-src http:\/\/\*:4322 https:\/\/\*:4322;/);
  assert.match(csp, /frame-ancestors 'none'/, 'the lessons themselves are still never framed');
  assert.doesNotMatch(contentSecurityPolicy([], []), /frame-src/);
});
