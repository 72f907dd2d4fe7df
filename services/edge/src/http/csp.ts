import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';

const BASE = ["frame-ancestors 'none'", "base-uri 'none'"];

/** The JSON API: nothing in an answer may load or run anything. */
export const API_CSP = ["default-src 'none'", ...BASE, "form-action 'none'"].join('; ');

/** Swagger UI needs inline script and style; only /docs gets them. */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  ...BASE,
  "form-action 'self'",
].join('; ');

/** bull-board: its scripts are files; React sets inline styles; its page sets <base href> to resolve them. */
export const BOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const hashes = (html: string, tag: 'script' | 'style') =>
  [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`,
  );

/**
 * A strict policy for one of our own pages: scripts and styles from this origin, plus exactly the inline
 * blocks the page ships (by hash), so an injected script or style does not run.
 */
export function pageCsp(html: string): string {
  return [
    "default-src 'none'",
    ["script-src 'self'", ...hashes(html, 'script')].join(' '),
    ['style-src', ...hashes(html, 'style')].join(' '),
    "connect-src 'self'",
    "img-src 'self' data:",
    ...BASE,
    "form-action 'self'",
  ].join('; ');
}

/** Sends a page with its strict policy (computed once, at mount). */
export function sendPage(file: string): RequestHandler {
  const policy = pageCsp(readFileSync(file, 'utf8'));
  return (_req, res) => {
    res.setHeader('content-security-policy', policy);
    res.sendFile(file);
  };
}

export const withCsp =
  (policy: string): RequestHandler =>
  (_req, res, next) => {
    res.setHeader('content-security-policy', policy);
    next();
  };
