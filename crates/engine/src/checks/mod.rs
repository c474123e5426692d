//! One check per file, each with its legal basis in its doc comment.

pub mod automotive;
pub mod de_minimis;
pub mod material_status;
pub mod rvc;
pub mod transit;
