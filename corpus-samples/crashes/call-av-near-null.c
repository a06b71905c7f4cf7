/* CallAvNearNull: a device whose operations table was never attached.
 * Calling dev->ops->open compiles (-O2) to `call [rax+0x18]` with rax = 0,
 * so the call's memory operand faults at 0x18. */
#include <stdio.h>

struct device;

struct device_ops {
    int (*probe)(struct device *);
    int (*reset)(struct device *);
    int (*close)(struct device *);
    int (*open)(struct device *, int flags);
};

struct device {
    const char *name;
    const struct device_ops *ops; /* NULL: driver not bound */
};

__attribute__((noipa)) static int device_open(struct device *dev, int flags)
{
    int rc = dev->ops->open(dev, flags); // CRASH-LINE
    return rc < 0 ? rc : rc + 1;
}

/* Keeps the compiler from knowing that ops is NULL. */
static struct device *volatile devices[1];

int main(void)
{
    static struct device disk = { "disk0", NULL };
    devices[0] = &disk;
    int rc = device_open(devices[0], 2);
    printf("open: %d\n", rc);
    return 0;
}
