import { expect, test } from 'vitest';
import { githubEndpoints } from './github.js';

test("github.com's API is api.github.com; an Enterprise Server's is under /api/v3 of its host", () => {
  expect(githubEndpoints({ hostname: 'github.com', tls: true })).toEqual({
    authorize: 'https://github.com/login/oauth/authorize',
    token: 'https://github.com/login/oauth/access_token',
    api: 'https://api.github.com',
  });
  expect(githubEndpoints({ hostname: 'git.example.com:8443', tls: true })).toEqual({
    authorize: 'https://git.example.com:8443/login/oauth/authorize',
    token: 'https://git.example.com:8443/login/oauth/access_token',
    api: 'https://git.example.com:8443/api/v3',
  });
  expect(githubEndpoints({ hostname: 'ghe.test', tls: false }).api).toBe('http://ghe.test/api/v3');
});
