//! Small views every page uses: the error panel, the loading line, and what a write (an
//! `Action`) last did — its error shown next to the control that ran it.

use leptos::prelude::*;
use vibedata_protocol::{ErrorCode, ErrorDto};

/// The `ErrorBoundary` fallback: every error in full, with its code, never swallowed.
pub fn error_panel(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert" data-testid="error-panel">
            {move || {
                errors
                    .get()
                    .into_iter()
                    .map(|(_, error)| {
                        let dto = error
                            .downcast_ref::<ErrorDto>()
                            .cloned()
                            .unwrap_or_else(|| ErrorDto::new(ErrorCode::Internal, error.to_string()));
                        let title = match dto.code {
                            ErrorCode::StoreCorrupt => "The app's database is damaged",
                            ErrorCode::StoreTooNew => "The app's database is from a newer version",
                            ErrorCode::Store => "The app's database cannot be used",
                            ErrorCode::Venv => "The Python tools are not ready",
                            ErrorCode::Keychain => "The system keychain is not available",
                            ErrorCode::Ipc => "The window lost touch with the app",
                            _ => "Something went wrong",
                        };
                        view! {
                            <div class="error" data-testid="error" data-code=format!("{:?}", dto.code)>
                                <h2>{title}</h2>
                                <p data-testid="error-message">{dto.message}</p>
                            </div>
                        }
                    })
                    .collect_view()
            }}
        </div>
    }
}

pub fn loading(text: &'static str) -> impl IntoView {
    view! {
        <p class="loading" data-testid="loading">
            <span class="spinner"></span>
            {text}
        </p>
    }
}

/// What an action's last run returned: `None` before it first completes and while it runs again,
/// so an old error goes away as soon as the person retries. Read inside a reactive closure.
pub fn settled<I, O>(action: Action<I, O>) -> Option<O>
where
    I: 'static,
    O: Clone + 'static,
{
    if action.pending().get() {
        None
    } else {
        action.value().get()
    }
}

/// The error of an action's last run as one line marked `testid`, to put next to the control
/// that runs it; nothing while it runs again or once it succeeds.
pub fn action_error<I, T>(
    action: Action<I, Result<T, ErrorDto>>,
    testid: &'static str,
) -> impl IntoView
where
    I: 'static,
    T: 'static,
{
    move || {
        if action.pending().get() {
            return None;
        }
        let message = action.value().with(|last| match last {
            Some(Err(e)) => Some(e.message.clone()),
            _ => None,
        })?;
        Some(view! { <p class="error-inline" role="alert" data-testid=testid>{message}</p> })
    }
}
