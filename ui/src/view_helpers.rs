//! Small views every page uses: the error panel and the loading line.

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
