export {
  parseResponseType,
  resolveResponseMode,
  renderAuthorizationResponse,
  AuthorizationRequestError,
  type ParsedResponseType,
  type ResponseMode,
  type AuthorizationResponse,
  type RenderedAuthorizationResponse,
} from './authorization-response.js';
export { AuthorizationResponseEndpoint } from './authorization-response.interceptor.js';
