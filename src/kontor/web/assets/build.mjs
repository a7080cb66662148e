// Copies the npm packages the web UI uses from node_modules/ into src/kontor/web/build/vendor/,
// where Django's staticfiles (STATICFILES_DIRS) and whitenoise find them. Nothing third-party is
// committed: `make static` runs `npm ci` and then this script.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const out = join(root, "src", "kontor", "web", "build", "vendor");
const files = {
  "htmx.min.js": "node_modules/htmx.org/dist/htmx.min.js",
  "Sortable.min.js": "node_modules/sortablejs/Sortable.min.js",
  "pico.min.css": "node_modules/@picocss/pico/css/pico.min.css",
  // Swagger UI for /api/docs (kontor.api.docs), served from here instead of a CDN.
  "swagger-ui-bundle.js": "node_modules/swagger-ui-dist/swagger-ui-bundle.js",
  "swagger-ui.css": "node_modules/swagger-ui-dist/swagger-ui.css",
  // axe-core (a dev dependency): the browser tests inject it into every page to check WCAG 2.1 AA
  // (tests/web/test_a11y.py); no page of the app loads it.
  "axe.min.js": "node_modules/axe-core/axe.min.js",
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [name, source] of Object.entries(files)) {
  copyFileSync(join(root, source), join(out, name));
  console.log(`static: ${source} -> src/kontor/web/build/vendor/${name}`);
}
