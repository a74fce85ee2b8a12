
// placeholder
pub(super) const CLASSES: &[(&str, &str)] = &[];
pub(super) const FUNCTIONS: &[(&str, &str)] = &[];
