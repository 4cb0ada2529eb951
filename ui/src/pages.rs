pub mod domain;
pub mod domains;
pub mod inbox;
pub mod monitor;
pub mod review;
pub mod settings;
pub mod skills;
pub mod studio;
