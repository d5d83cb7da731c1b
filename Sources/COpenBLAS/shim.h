#ifndef DESCENT_OPENBLAS_SHIM_H
#define DESCENT_OPENBLAS_SHIM_H
/* OpenBLAS's CBLAS interface; pkg-config openblas puts the pthread variant's include dir first. */
#include <cblas.h>
#endif
