package backend_gl

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

typedef void *EGLDisplay;
typedef void *EGLContext;
typedef void *EGLConfig;
typedef void *EGLDeviceEXT;
typedef unsigned int EGLBoolean;
typedef int32_t EGLint;
typedef unsigned int EGLenum;

#define EGL_NO_CONTEXT ((EGLContext)0)
#define EGL_NO_SURFACE ((void *)0)
#define EGL_NONE 0x3038
#define EGL_EXTENSIONS 0x3055
#define EGL_VERSION 0x3054
#define EGL_OPENGL_API 0x30A2
#define EGL_CONTEXT_MAJOR_VERSION 0x3098
#define EGL_CONTEXT_MINOR_VERSION 0x30FB
#define EGL_CONTEXT_OPENGL_PROFILE_MASK 0x30FD
#define EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT 0x00000001
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#define EGL_PLATFORM_DEVICE_EXT 0x313F
#define EGL_RENDERABLE_TYPE 0x3040
#define EGL_OPENGL_BIT 0x0008
#define EGL_SURFACE_TYPE 0x3033

typedef void *(*PFN_getProcAddress)(const char *);
typedef EGLint (*PFN_getError)(void);
typedef const char *(*PFN_queryString)(EGLDisplay, EGLint);
typedef EGLDisplay (*PFN_getPlatformDisplay)(EGLenum, void *, const EGLint *);
typedef EGLBoolean (*PFN_initialize)(EGLDisplay, EGLint *, EGLint *);
typedef EGLBoolean (*PFN_terminate)(EGLDisplay);
typedef EGLBoolean (*PFN_bindAPI)(EGLenum);
typedef EGLBoolean (*PFN_chooseConfig)(EGLDisplay, const EGLint *, EGLConfig *, EGLint, EGLint *);
typedef EGLContext (*PFN_createContext)(EGLDisplay, EGLConfig, EGLContext, const EGLint *);
typedef EGLBoolean (*PFN_destroyContext)(EGLDisplay, EGLContext);
typedef EGLBoolean (*PFN_makeCurrent)(EGLDisplay, void *, void *, EGLContext);
typedef EGLBoolean (*PFN_queryDevices)(EGLint, EGLDeviceEXT *, EGLint *);

static void *libegl;
static PFN_getProcAddress pGetProcAddress;
static PFN_getError pGetError;

static void *xb_sym(const char *name) {
	void *p = dlsym(libegl, name);
	if (!p && pGetProcAddress) p = pGetProcAddress(name);
	return p;
}

// xb_egl_open loads libEGL; it returns NULL or dlerror's message.
static const char *xb_egl_open(const char *path) {
	libegl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!libegl) return dlerror();
	pGetProcAddress = (PFN_getProcAddress)dlsym(libegl, "eglGetProcAddress");
	pGetError = (PFN_getError)dlsym(libegl, "eglGetError");
	if (!pGetProcAddress || !pGetError) return "libEGL has no eglGetProcAddress";
	return NULL;
}

static void *xb_egl_proc(const char *name) { return pGetProcAddress(name); }

static EGLint xb_egl_error(void) { return pGetError(); }

static const char *xb_egl_query(EGLDisplay d, EGLint what) {
	PFN_queryString f = (PFN_queryString)xb_sym("eglQueryString");
	return f ? f(d, what) : NULL;
}

static EGLDisplay display;

// xb_egl_display opens a display of the given platform (the first EGL device for
// EGL_PLATFORM_DEVICE_EXT); 0 when there is none.
static int xb_egl_display(EGLenum platform) {
	PFN_getPlatformDisplay get = (PFN_getPlatformDisplay)xb_sym("eglGetPlatformDisplayEXT");
	if (!get) get = (PFN_getPlatformDisplay)xb_sym("eglGetPlatformDisplay");
	if (!get) return 0;
	void *native = NULL;
	EGLDeviceEXT devs[8];
	if (platform == EGL_PLATFORM_DEVICE_EXT) {
		PFN_queryDevices q = (PFN_queryDevices)xb_sym("eglQueryDevicesEXT");
		EGLint n = 0;
		if (!q || !q(8, devs, &n) || n < 1) return 0;
		native = devs[0];
	}
	display = get(platform, native, NULL);
	return display != NULL;
}

static int xb_egl_initialize(EGLint *major, EGLint *minor) {
	PFN_initialize f = (PFN_initialize)xb_sym("eglInitialize");
	return f ? f(display, major, minor) : 0;
}

static void xb_egl_terminate(void) {
	PFN_terminate f = (PFN_terminate)xb_sym("eglTerminate");
	if (f) f(display);
}

// xb_egl_context makes a GL 4.3 core context current without a surface; 0 on failure.
static int xb_egl_context(void) {
	EGLDisplay d = display;
	PFN_bindAPI bind = (PFN_bindAPI)xb_sym("eglBindAPI");
	PFN_createContext create = (PFN_createContext)xb_sym("eglCreateContext");
	PFN_makeCurrent current = (PFN_makeCurrent)xb_sym("eglMakeCurrent");
	PFN_chooseConfig choose = (PFN_chooseConfig)xb_sym("eglChooseConfig");
	if (!bind || !create || !current) return 0;
	if (!bind(EGL_OPENGL_API)) return 0;
	EGLint attrs[] = {
		EGL_CONTEXT_MAJOR_VERSION, 4, EGL_CONTEXT_MINOR_VERSION, 3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT, EGL_NONE,
	};
	// EGL_KHR_no_config_context first, then any config that renders GL.
	EGLContext ctx = create(d, NULL, EGL_NO_CONTEXT, attrs);
	if (!ctx && choose) {
		EGLint cattrs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, 0, EGL_NONE};
		EGLConfig cfg;
		EGLint n = 0;
		if (choose(d, cattrs, &cfg, 1, &n) && n > 0) ctx = create(d, cfg, EGL_NO_CONTEXT, attrs);
	}
	if (!ctx) return 0;
	if (!current(d, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx)) {
		PFN_destroyContext destroy = (PFN_destroyContext)xb_sym("eglDestroyContext");
		if (destroy) destroy(d, ctx);
		return 0;
	}
	return 1;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
	"unsafe"
)

// eglLibraries are the names libEGL is looked for under, after CROSSBAR_GL_LIB.
var eglLibraries = []string{"libEGL.so.1", "libEGL.so"}

// eglContext creates a headless GL 4.3 core context and makes it current on the calling
// thread. It tries the surfaceless Mesa platform first (no display server needed), then
// the first EGL device (NVIDIA's headless path). It returns a description of the display,
// or an error saying what was tried.
func eglContext() (string, error) {
	libs := eglLibraries
	if p := os.Getenv("CROSSBAR_GL_LIB"); p != "" {
		libs = []string{p}
	}
	var tried []string
	loaded := ""
	for _, l := range libs {
		cl := C.CString(l)
		msg := C.xb_egl_open(cl)
		C.free(unsafe.Pointer(cl))
		if msg == nil {
			loaded = l
			break
		}
		tried = append(tried, C.GoString(msg))
	}
	if loaded == "" {
		return "", fmt.Errorf("no EGL library (%s)", strings.Join(tried, "; "))
	}
	platforms := []struct {
		name string
		id   C.EGLenum
	}{{"EGL_PLATFORM_SURFACELESS_MESA", C.EGL_PLATFORM_SURFACELESS_MESA}, {"EGL_PLATFORM_DEVICE_EXT", C.EGL_PLATFORM_DEVICE_EXT}}
	var failures []string
	for _, p := range platforms {
		if C.xb_egl_display(p.id) == 0 {
			failures = append(failures, fmt.Sprintf("%s: no display (EGL error 0x%x)", p.name, int(C.xb_egl_error())))
			continue
		}
		var major, minor C.EGLint
		if C.xb_egl_initialize(&major, &minor) == 0 {
			failures = append(failures, fmt.Sprintf("%s: eglInitialize failed (EGL error 0x%x)", p.name, int(C.xb_egl_error())))
			continue
		}
		if C.xb_egl_context() == 0 {
			failures = append(failures, fmt.Sprintf("%s: no OpenGL 4.3 core context (EGL error 0x%x)", p.name, int(C.xb_egl_error())))
			C.xb_egl_terminate()
			continue
		}
		return fmt.Sprintf("%s, EGL %d.%d on %s", loaded, int(major), int(minor), p.name), nil
	}
	return "", fmt.Errorf("%s: %s", loaded, strings.Join(failures, "; "))
}

// eglProcAddress looks up a GL function for gl.InitWithProcAddrFunc.
func eglProcAddress(name string) unsafe.Pointer {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return C.xb_egl_proc(cn)
}
