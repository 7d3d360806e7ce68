/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PAUSE_IMAGE_H
#define CTRWATCH_PAUSE_IMAGE_H

#include <stdbool.h>

/*
 * Whether an image reference names a known Kubernetes sandbox ("pause") image. The repository
 * path is matched component by component, so "superpause" or "mypause-app" are not pause images.
 */
bool pause_image_match(const char *image);

#endif
