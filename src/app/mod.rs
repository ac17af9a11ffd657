//! The app: the loop that feeds the console's update with terminal input, snapshots and job
//! updates, carries out its effects and draws; and the embedded demo cluster it can run on.

pub mod embedded;
pub mod run;
