/**
 * The upload page (GET /): static HTML, CSS and JS with no build step. Scripts are separate files
 * so helmet's default Content-Security-Policy (`script-src 'self'`) holds without exceptions.
 */
import express, { Router } from 'express';
import { join } from 'node:path';

export interface PageDeps {
  ui: { url: string; namespace: string };
  uploadLimitBytes: number;
}

export function pageRoutes({ ui, uploadLimitBytes }: PageDeps): Router {
  const router = Router();
  // Unauthenticated, so it carries no key, not even the development one: the page asks for one.
  router.get('/ui-config', (_req, res) => {
    res.json({ temporalUiUrl: ui.url, namespace: ui.namespace, uploadLimitBytes });
  });
  router.use(express.static(join(__dirname, 'public')));
  return router;
}
