export { openApiDocument } from './document';
