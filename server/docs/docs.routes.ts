// GET /docs: Swagger UI over /api/v1/openapi.json. The UI's script and CSS come from the jsDelivr CDN
// (@hono/swagger-ui), so the page needs the browser to be online; the JSON itself is served here.
import { swaggerUI } from '@hono/swagger-ui';
import { Hono } from 'hono';
import { API_PREFIX, OPENAPI_PATH } from './openapi.document.ts';

const SWAGGER_UI_VERSION = '5';

export function docsRoutes(): Hono {
  return new Hono().get(
    '/docs',
    swaggerUI({
      url: `${API_PREFIX}${OPENAPI_PATH}`,
      title: 'Plaza API',
      version: SWAGGER_UI_VERSION,
      persistAuthorization: true,
    }),
  );
}
