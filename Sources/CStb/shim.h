/* Debian's libstb: stb_image (JPEG/PNG/... decoding), stb_image_write (PNG) and
 * stb_image_resize, compiled into libstb.so; declarations only here. */
#include <stb_image.h>
#include <stb_image_write.h>
#include <stb_image_resize.h>
