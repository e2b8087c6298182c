package ui

import "github.com/go-gl/glfw/v3.4/glfw"

// noDepthBuffer asks GLFW for a window without depth and stencil buffers.
// Fyne draws in 2D: it turns the depth test off and uses no stencil, but
// GLFW's default framebuffer has 24 depth and 8 stencil bits, which a
// software renderer (Mesa's llvmpipe) keeps as a buffer the window's size
// (4 MB at 1280x800) and Fyne clears on every frame. Issue 17: resident
// memory after login. It must run after Fyne initialised GLFW (its first
// NewWindow does) and before the window is shown; Fyne sets its own hints
// then and leaves these as they are.
func noDepthBuffer() {
	defer func() { _ = recover() }() // GLFW did not start (no display): Fyne reports that itself
	glfw.WindowHint(glfw.DepthBits, 0)
	glfw.WindowHint(glfw.StencilBits, 0)
}
