use std::sync::Arc;
use vibedata_core::{CoreError, Paths, Studio};
use vibedata_protocol::ErrorDto;

/// What the commands share: the paths (always known) and the core, or why it could not open.
pub struct AppState {
    pub paths: Paths,
    /// Whether sign-in may open the person's browser (`VIBEDATA_NO_BROWSER` unset; tests set it).
    pub open_browser: bool,
    studio: Result<Arc<Studio>, ErrorDto>,
}

impl AppState {
    pub fn new(paths: Paths, studio: Result<Studio, CoreError>) -> Self {
        Self {
            paths,
            open_browser: std::env::var_os("VIBEDATA_NO_BROWSER").is_none(),
            studio: studio.map(Arc::new).map_err(ErrorDto::from),
        }
    }

    /// The core, or the start-up error every command then reports.
    pub fn studio(&self) -> Result<Arc<Studio>, ErrorDto> {
        self.studio.clone()
    }
}
