/**
 * The web console (GET /): static HTML, CSS and JS with no build step. Scripts are separate files
 * so helmet's default Content-Security-Policy (`script-src 'self'`) holds without exceptions.
 */
import express, { Router } from 'express';
import { dirname, join } from 'node:path';

export interface PageDeps {
  ui: { url: string; namespace: string };
  uploadLimitBytes: number;
}

/**
 * zod's own ES modules, as published: the review console validates a correction with the API's
 * schema (from /openapi.json) before sending it, with the library the API validates it with.
 */
const ZOD_MODULES = join(dirname(require.resolve('zod/package.json')), 'v4');

export function pageRoutes({ ui, uploadLimitBytes }: PageDeps): Router {
  const router = Router();
  // Unauthenticated, so it carries no key, not even the development one: the page asks for one.
  router.get('/ui-config', (_req, res) => {
    res.json({ temporalUiUrl: ui.url, namespace: ui.namespace, uploadLimitBytes });
  });
  router.use(express.static(join(__dirname, 'public')));
  router.use('/vendor/zod', express.static(ZOD_MODULES, { extensions: false, index: false }));
  return router;
}
