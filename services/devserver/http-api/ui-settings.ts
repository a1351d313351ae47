/**
 * The ui-server endpoints the Web UI calls besides the Temporal API (`ui: server/server/api/handler.go`
 * `GetSettings`): the field names are Go's (PascalCase, encoding/json without omitempty).
 */

/** The `@temporalio/ui` release the devserver answers for (the UI single-encodes path parameters from 2.23.0). */
export const UI_VERSION = '2.38.0';

/** What the settings answer depends on. */
export interface UiSettingsOptions {
  /** Namespace the UI opens first. @default 'default' */
  defaultNamespace?: string;
}

/** `GET /api/v1/settings`: no login (the devserver has no OIDC provider), no codec, every action enabled. */
export function uiSettings({ defaultNamespace = 'default' }: UiSettingsOptions = {}): Record<
  string,
  unknown
> {
  return {
    Auth: { Enabled: false, Options: null },
    BannerText: '',
    DefaultNamespace: defaultNamespace,
    ShowTemporalSystemNamespace: false,
    FeedbackURL: '',
    NotifyOnNewVersion: false,
    Codec: {
      Endpoint: '',
      PassAccessToken: false,
      IncludeCredentials: false,
      DefaultErrorMessage: '',
      DefaultErrorLink: '',
    },
    Version: UI_VERSION,
    DisableWriteActions: false,
    WorkflowTerminateDisabled: false,
    WorkflowCancelDisabled: false,
    WorkflowSignalDisabled: false,
    WorkflowUpdateDisabled: false,
    WorkflowResetDisabled: false,
    BatchActionsDisabled: false,
    StartWorkflowDisabled: false,
    HideWorkflowQueryErrors: false,
    RefreshWorkflowCountsDisabled: false,
  };
}

/**
 * `GET /api/v1/me`: route-for-api.js names it (`user`), ui-server has no such route and no UI
 * code calls it; answered with no user rather than a 404 so a future caller sees "not logged in".
 */
export function uiUser(): Record<string, unknown> {
  return {};
}
