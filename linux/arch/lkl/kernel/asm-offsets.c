// SPDX-License-Identifier: GPL-2.0
/* The port has no assembly code, so there are no offsets to export. */
int main(void)
{
	return 0;
}
