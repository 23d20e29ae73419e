/* A stand-in for the vendor SpikeLink input library, built by the tests with the system cc.
 *
 * It exports the C entry points of spikelinkapi.h with the same structs, runs
 * its own delivery thread like the SDK, and fires the Python callback with
 * real SpikeLinkVideoFrame structs taken from a fixed pool of buff_size frames.
 * Every frame handed out must come back through ReleaseFrame exactly once:
 * fake_counters() reports fired / released / double releases / foreign
 * releases / frames still out, and calls made with a wrong (e.g. truncated)
 * handle. type=file (0x24) replays SpikeLinkDummyInitParams.fileName in
 * frames of width*height/8 bytes; FAKE_SDK_DROP_EVERY=k makes the SDK drop
 * every k-th frame itself (pts still advances, as a real device counter would).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct { int64_t num, den; } SVRational;
typedef struct { int32_t width, height; uint32_t format; SVRational fps, time_base; } SVPicture;
typedef struct { void *opaque; uint32_t type, mode, format; int32_t buff_size; SVPicture picture; } SpikeLinkInitParams;
typedef struct { int8_t devName[256]; int32_t channels, channelMode; } SpikeLinkQSFPInitParams;
typedef struct { char fileName[256]; SVRational fps; int64_t duration; int32_t skip, start, end; bool repeat; } SpikeLinkDummyInitParams;
typedef struct {
    uint8_t *data[3]; int32_t linesize[3]; int32_t format, size, width, height;
    int64_t pts, dts, duration; SVRational time_base; void *opaque;
} SpikeLinkVideoFrame;
typedef void (*InputCallBack)(void *frame);

#define HANDLE ((void *)(uintptr_t)0x7A5E00001230ULL) /* above 4 GiB: a truncated handle is caught */

static SpikeLinkInitParams params;
static SpikeLinkDummyInitParams dummy;
static InputCallBack callback;
static SpikeLinkVideoFrame *pool;
static uint8_t *pool_data;
static int *in_use;
static int npool, frame_bytes, drop_every;
static FILE *fp;
static pthread_t thread;
static volatile int running, started, opened, inited;
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static int64_t fired, released, double_released, foreign_released, bad_handle, sdk_dropped, eof_reached;

static int check(void *h) { if (h != HANDLE) { bad_handle++; return 0; } return 1; }

void *CreateSpikeLinkInputPython(void) { return HANDLE; }

int32_t Init(void *h, SpikeLinkInitParams *p) {
    if (!check(h)) return -2;
    if (inited) return 1;
    memcpy(&params, p, sizeof params);
    if (p->picture.format != 0x00010000 || p->buff_size <= 0) return -3;
    frame_bytes = p->picture.width * p->picture.height / 8;
    npool = p->buff_size;
    pool = calloc(npool, sizeof *pool);
    pool_data = malloc((size_t)npool * frame_bytes);
    in_use = calloc(npool, sizeof *in_use);
    if (p->type == 0x24) {
        memcpy(&dummy, p->opaque, sizeof dummy);
        fp = fopen(dummy.fileName, "rb");
        if (!fp) return -4;
    } else {
        return -5; /* only the file input is emulated */
    }
    const char *d = getenv("FAKE_SDK_DROP_EVERY");
    drop_every = d ? atoi(d) : 0;
    inited = 1;
    return 0;
}

void SetCallbackPython(void *h, InputCallBack cb) { if (check(h)) callback = cb; }
bool IsOpen(void *h) { return check(h) && opened; }
int32_t Open(void *h) { if (!check(h)) return -2; if (opened) return 1; opened = 1; return 0; }
int32_t GetState(void *h) { if (!check(h)) return -2; return started ? 2 : opened ? 1 : 0; }

static void *deliver(void *arg) {
    (void)arg;
    int64_t pts = 0;
    uint8_t *tmp = malloc(frame_bytes);
    while (running) {
        size_t got = fread(tmp, 1, frame_bytes, fp);
        if (got < (size_t)frame_bytes) {
            if (dummy.repeat) { rewind(fp); continue; }
            eof_reached = 1;
            break;
        }
        pts++;
        if (drop_every && pts % drop_every == 0) { sdk_dropped++; continue; }
        int slot = -1;
        pthread_mutex_lock(&mtx);
        for (int i = 0; i < npool; i++) if (!in_use[i]) { slot = i; in_use[i] = 1; break; }
        pthread_mutex_unlock(&mtx);
        if (slot < 0) { sdk_dropped++; continue; }
        SpikeLinkVideoFrame *f = &pool[slot];
        memset(f, 0, sizeof *f);
        f->data[0] = pool_data + (size_t)slot * frame_bytes;
        memcpy(f->data[0], tmp, frame_bytes);
        f->linesize[0] = params.picture.width / 8;
        f->format = 0x00010000;
        f->size = frame_bytes;
        f->width = params.picture.width;
        f->height = params.picture.height;
        f->pts = pts;
        f->dts = pts;
        f->duration = 1;
        f->time_base = params.picture.time_base;
        fired++;
        if (callback) callback(f);
    }
    free(tmp);
    return NULL;
}

int32_t Start(void *h) {
    if (!check(h)) return -2;
    if (!opened) return -6;
    if (started) return 1;
    running = 1; started = 1;
    pthread_create(&thread, NULL, deliver, NULL);
    return 0;
}

int32_t Stop(void *h) {
    if (!check(h)) return -2;
    if (!started) return 1;
    running = 0;
    pthread_join(thread, NULL);
    started = 0;
    return 0;
}

int32_t Close(void *h) { if (!check(h)) return -2; Stop(h); opened = 0; return 0; }

void Fini(void *h) {
    if (!check(h)) return;
    Stop(h);
    if (fp) { fclose(fp); fp = NULL; }
    inited = 0;
}

void ReleaseFrame(void *h, void *frame) {
    if (!check(h)) return;
    pthread_mutex_lock(&mtx);
    int idx = -1;
    for (int i = 0; i < npool; i++) if ((void *)&pool[i] == frame) idx = i;
    if (idx < 0) foreign_released++;
    else if (!in_use[idx]) double_released++;
    else { in_use[idx] = 0; released++; }
    pthread_mutex_unlock(&mtx);
}

/* test hooks */
void fake_counters(int64_t *out) {
    int64_t outstanding = 0;
    for (int i = 0; i < npool; i++) outstanding += in_use ? in_use[i] : 0;
    out[0] = fired; out[1] = released; out[2] = double_released; out[3] = foreign_released;
    out[4] = outstanding; out[5] = bad_handle; out[6] = sdk_dropped; out[7] = eof_reached;
}

int64_t fake_sizeof(int which) {
    switch (which) {
    case 0: return sizeof(SVRational);
    case 1: return sizeof(SVPicture);
    case 2: return sizeof(SpikeLinkInitParams);
    case 3: return sizeof(SpikeLinkQSFPInitParams);
    case 4: return sizeof(SpikeLinkDummyInitParams);
    case 5: return sizeof(SpikeLinkVideoFrame);
    }
    return -1;
}

/* the frame's user-visible fields as C sees them, to check ctypes marshalling */
int64_t fake_params(int which) {
    switch (which) {
    case 0: return params.type;
    case 1: return params.mode;
    case 2: return params.format;
    case 3: return params.buff_size;
    case 4: return params.picture.width;
    case 5: return params.picture.height;
    case 6: return params.picture.fps.num;
    case 7: return params.picture.time_base.den;
    case 8: return dummy.repeat;
    }
    return -1;
}
