export {
  parseResponseType,
  resolveResponseMode,
  renderAuthorizationResponse,
  escapeHtml,
  AuthorizationRequestError,
  type ParsedResponseType,
  type ResponseMode,
  type AuthorizationResponse,
  type RenderedAuthorizationResponse,
} from './authorization-response.js';
export { AuthorizationResponseEndpoint } from './authorization-response.interceptor.js';
