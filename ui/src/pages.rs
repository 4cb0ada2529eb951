pub mod domain;
pub mod domains;
pub mod inbox;
pub mod not_built;
pub mod review;
pub mod settings;
pub mod skills;
pub mod studio;
