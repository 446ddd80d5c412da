import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labEndpoints } from './config.ts';

test('same origin by default, ws scheme follows http/https', () => {
  assert.deepEqual(labEndpoints(undefined, 'http://localhost:4321/lessons/a/'), {
    sessionUrl: 'http://localhost:4321/lab/session',
    wsUrl: 'ws://localhost:4321/lab/ws',
    checkUrl: 'http://localhost:4321/lab/check',
    previewUrl: 'http://localhost:4321/lab/preview',
  });
  assert.deepEqual(labEndpoints('', 'https://docs.example.org/x'), {
    sessionUrl: 'https://docs.example.org/lab/session',
    wsUrl: 'wss://docs.example.org/lab/ws',
    checkUrl: 'https://docs.example.org/lab/check',
    previewUrl: 'https://docs.example.org/lab/preview',
  });
});

test('a configured lab URL wins, with its path prefix', () => {
  assert.deepEqual(labEndpoints('https://lab.example.org/', 'https://docs.example.org/x'), {
    sessionUrl: 'https://lab.example.org/lab/session',
    wsUrl: 'wss://lab.example.org/lab/ws',
    checkUrl: 'https://lab.example.org/lab/check',
    previewUrl: 'https://lab.example.org/lab/preview',
  });
  assert.deepEqual(labEndpoints('http://10.0.0.5:8080/training', 'https://docs.example.org/'), {
    sessionUrl: 'http://10.0.0.5:8080/training/lab/session',
    wsUrl: 'ws://10.0.0.5:8080/training/lab/ws',
    checkUrl: 'http://10.0.0.5:8080/training/lab/check',
    previewUrl: 'http://10.0.0.5:8080/training/lab/preview',
  });
});
