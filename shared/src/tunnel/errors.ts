// Typed errors of the agent-to-agent tunnel. Each condition has one stable `code`, so that callers
// (the agent's dialer, `kip port-forward`) can decide what to do without parsing messages, and a
// message a user can act on.

export type TunnelErrorCode =
  /** the far agent answered, but the pod is not there or does not accept the connection */
  | 'Refused'
  /** the far agent rejected our proof of the cluster token (wrong token, clock skew, replay) */
  | 'BadProof'
  /** the far agent could not be reached, or the pod could not be dialled for another reason */
  | 'Unreachable'
  /** no answer within the deadline */
  | 'Timeout'
  /** the other side does not speak this protocol, or sent a malformed frame */
  | 'ProtocolError';

export class TunnelError extends Error {
  constructor(
    readonly code: TunnelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TunnelError';
  }
}
