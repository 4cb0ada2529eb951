//! The product's areas (PRODUCT.md §1): what the sidebar offers and what the app shows. Its own
//! module so pages can send the person to another area without depending on the app shell.

/// The product's areas, in navigation order. The app provides the current one as an
/// `RwSignal<Area>` context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    Domains,
    Studio,
    Review,
    Inbox,
    Monitor,
    Skills,
    Settings,
}

impl Area {
    pub const ALL: [Area; 7] = [
        Area::Domains,
        Area::Studio,
        Area::Review,
        Area::Inbox,
        Area::Monitor,
        Area::Skills,
        Area::Settings,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Area::Domains => "Domains",
            Area::Studio => "Studio",
            Area::Review => "Review",
            Area::Inbox => "Inbox",
            Area::Monitor => "Monitor",
            Area::Skills => "Skills",
            Area::Settings => "Settings",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Area::Domains => "domains",
            Area::Studio => "studio",
            Area::Review => "review",
            Area::Inbox => "inbox",
            Area::Monitor => "monitor",
            Area::Skills => "skills",
            Area::Settings => "settings",
        }
    }
}
