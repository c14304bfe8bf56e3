//! Fleck's 3D viewer: turns Speckle objects into a scene and draws it, in the browser (WebGL2)
//! and headless (preview images). It knows Speckle's object model and nothing about servers.

pub mod units;
