/* A fake libcuda.so.1 for TestFakeDriver: enough of the driver API, on host memory, to
   run the device code of backend_cuda (probe, context push/pop, copies, module loading,
   launches, events) without a GPU. Kernels are not run: cuLaunchKernel checks its
   arguments and counts. Copies and memsets are queued on the stream, as on a device, and
   done in order only when the host waits for them (cuStreamSynchronize, or
   cuEventSynchronize for the work queued before the event was recorded), so that the host
   touching memory that a queued copy has yet to read or write shows in the results; or,
   after fakeStreamEager(1), as soon as they are queued, so that the host reading memory
   before the copy that fills it was waited for shows too. Every call but the context ones demands the context current on
   the calling thread, as the real driver does. FAKECUDA_DEVICES sets the number of
   devices (1), FAKECUDA_OLD_DEVICE the index of one of compute capability 3.0, which no
   NVRTC that the backend loads compiles for, and FAKECUDA_CC the others' (90: 9.0). */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
typedef unsigned long long dptr;
static const char* s = "fake";
int cuInit(unsigned f){return f;}
int cuDriverGetVersion(int*v){*v=12040;return 0;}
int cuGetErrorString(int r,const char**p){*p="fake error";return 0;}
int cuGetErrorName(int r,const char**p){*p="CUDA_ERROR_FAKE";return 0;}
static int envint(const char*name,int def){const char*v=getenv(name);return v&&*v?atoi(v):def;}
int cuDeviceGetCount(int*n){*n=envint("FAKECUDA_DEVICES",1);return 0;}
int cuDeviceGet(int*d,int o){*d=o;return 0;}
int cuDeviceGetName(char*n,int l,int d){strncpy(n,"Fake H200",l);return 0;}
int cuDeviceGetAttribute(int*v,int a,int d){switch(a){case 1:*v=1024;break;case 5:*v=2147483647;break;case 6:case 7:*v=65535;break;case 8:*v=49152;break;case 10:*v=32;break;case 13:*v=1980000;break;case 16:*v=132;break;case 75:*v=d==envint("FAKECUDA_OLD_DEVICE",-1)?3:envint("FAKECUDA_CC",90)/10;break;case 76:*v=envint("FAKECUDA_CC",90)%10;break;case 38:*v=60<<20;break;case 97:*v=232448;break;case 81:*v=233472;break;case 111:*v=1024;break;default:*v=0;}return 0;}
int cuDeviceTotalMem_v2(size_t*b,int d){*b=(size_t)141<<30;return 0;}
int cuDevicePrimaryCtxRetain(void**c,int d){*c=(void*)0x1234;return 0;}
int cuDevicePrimaryCtxRelease_v2(int d){return 0;}
static __thread int depth;
int cuCtxPushCurrent_v2(void*c){if(c!=(void*)0x1234)return 201;depth++;return 0;}
int cuCtxPopCurrent_v2(void**c){if(depth<=0)return 201;depth--;*c=(void*)0x1234;return 0;}
/* calls: the driver calls made with a context current, which the events' times count */
static long calls;
static void chk(){if(depth!=1){fprintf(stderr,"no context current\n");abort();}calls++;}
long fakeCalls(void){return calls;}
/* lost: the CUresult that lost the context (fakeLoseContext), which every call made with
   it current returns from then on, as the driver does after a kernel faults. */
static int lost;
void fakeLoseContext(int r){lost=r;}
#define CHK {chk();if(lost)return lost;}
/* The stream's queue of copies and memsets: done [0, qdone), queued [qdone, qtail). */
typedef struct{int memset;dptr d,s;size_t n;unsigned v;}op;
#define QLEN 1024
static op q[QLEN];
static long qdone,qtail;
static void run(long upto){
 for(;qdone<upto;qdone++){op*o=&q[qdone%QLEN];
  if(o->memset){unsigned*p=(unsigned*)o->d;for(size_t i=0;i<o->n;i++)p[i]=o->v;}else memmove((void*)o->d,(void*)o->s,o->n);}}
/* eager: the work is done as soon as it is queued, as if the device were idle and fast
   (fakeStreamEager(1); the tests run copies both ways). */
static int eager;
static int enqueue(int memset,dptr d,dptr s,size_t n,unsigned v,void*st){
 if(st!=(void*)0x55)return 400;if(qtail-qdone==QLEN)run(qdone+1);
 op o={memset,d,s,n,v};q[qtail++%QLEN]=o;if(eager)run(qtail);return 0;}
/* fakeStreamDrain does the queued work: the fake cuBLAS calls it before a product. */
void fakeStreamDrain(void){run(qtail);}
void fakeStreamEager(int e){run(qtail);eager=e;}
/* Device memory: at most memLimit bytes at a time (fakeMemLimit; 1 TiB), each block's size
   kept in the 16 bytes before it. Freeing memory waits for the work queued on it, as
   cuMemFree does. */
static size_t memUsed,memLimit=(size_t)1<<40;
void fakeMemLimit(size_t n){memLimit=n;}
size_t fakeMemUsed(void){return memUsed;}
int cuMemAlloc_v2(dptr*p,size_t n){CHK if(n>memLimit||memUsed>memLimit-n)return 2;
 size_t*b=malloc(n+16);if(!b)return 2;b[0]=n;memUsed+=n;*p=(dptr)(b+2);return 0;}
int cuMemFree_v2(dptr p){CHK run(qtail);if(p){size_t*b=(size_t*)p-2;memUsed-=b[0];free(b);}return 0;}
int cuMemAllocHost_v2(void**p,size_t n){CHK *p=malloc(n);return 0;}
int cuMemFreeHost(void*p){run(qtail);free(p);return 0;}
int cuMemcpyHtoDAsync_v2(dptr d,const void*s,size_t n,void*st){CHK return enqueue(0,d,(dptr)s,n,0,st);}
int cuMemcpyDtoHAsync_v2(void*d,dptr s,size_t n,void*st){CHK return enqueue(0,(dptr)d,s,n,0,st);}
int cuMemcpyDtoDAsync_v2(dptr d,dptr s,size_t n,void*st){CHK return enqueue(0,d,s,n,0,st);}
int cuCtxGetCurrent(void**c){*c=depth>0?(void*)0x1234:0;return 0;}
int cuMemsetD32Async(dptr d,unsigned v,size_t n,void*st){CHK return enqueue(1,d,0,n,v,st);}
/* A CUBIN loads. PTX goes to the fake's compiler, which refuses it with a log in the
   buffer that the options give (CU_JIT_ERROR_LOG_BUFFER and its size, which comes back
   as the bytes written), as a driver older than the PTX's .version does. */
int cuModuleLoadDataEx(void**m,const void*img,unsigned n,const int*opt,void**val){CHK
 if(memcmp(img,"\x7f""ELF",4)==0){*m=(void*)0x77;return 0;}
 if(!strstr(img,".version"))return 200;
 for(unsigned i=0;i<n;i++)for(unsigned j=0;j<n;j++)if(opt[i]==5&&opt[j]==6){
  unsigned sz=(unsigned)(size_t)val[j];
  int w=snprintf(val[i],sz,"ptxas application ptx input, line 1; fatal   : the fake's compiler knows no .version");
  val[j]=(void*)(size_t)(w<(int)sz?(unsigned)w+1:sz);}
 return 222;}
/* pending: launches not yet waited for; unloads, and those that came with launches of
   the module possibly still queued (the fake has one module). */
static int pending, unloads, unloadsPending;
int cuModuleUnload(void*m){CHK unloads++;if(pending)unloadsPending++;return 0;}
int fakeUnloads(int*withPending){*withPending=unloadsPending;return unloads;}
int cuModuleGetFunction(void**f,void*m,const char*name){CHK if(strcmp(name,"kernel"))return 500;*f=(void*)0x99;return 0;}
int launches;
static int dynamicShared; /* the function's CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES */
int cuFuncSetAttribute(void*f,int a,int v){CHK if(f!=(void*)0x99)return 400;if(a!=8||v>232448)return 1;dynamicShared=v;return 0;}
int cuLaunchKernel(void*f,unsigned gx,unsigned gy,unsigned gz,unsigned bx,unsigned by,unsigned bz,unsigned sh,void*st,void**params,void**extra){
 CHK  if(f!=(void*)0x99)return 400; if(bx*by*bz>1024||gx==0)return 1;
 if(sh>49152&&(int)sh>dynamicShared){fprintf(stderr,"launch with %u bytes of shared memory, %d allowed\n",sh,dynamicShared);return 1;}
 /* write 42.0f into dst[0] if float: just touch param 0 pointer value */
 dptr dst=*(dptr*)params[0]; if(!dst)return 700; launches++; pending++; fprintf(stderr,"launch %ux%ux%u x %ux%ux%u dst=%llx\n",gx,gy,gz,bx,by,bz,dst); return 0;}
int cuStreamCreate(void**s,unsigned f){CHK *s=(void*)0x55;return 0;}
int cuStreamSynchronize(void*s){CHK if(s!=(void*)0x55)return 400;pending=0;run(qtail);return 0;}
int cuStreamDestroy_v2(void*s){CHK return s==(void*)0x55?0:400;}
/* An event: the calls made when it was recorded, and the end of the queue then. */
int cuEventCreate(void**e,unsigned f){CHK *e=calloc(2,sizeof(long));return 0;}
int cuEventRecord(void*e,void*s){CHK if(s!=(void*)0x55)return 400;((long*)e)[0]=calls;((long*)e)[1]=qtail;return 0;}
int cuEventSynchronize(void*e){CHK pending=0;run(((long*)e)[1]);return 0;}
/* 1.5 ms for each call between the two records: a timed launch takes 1.5 ms, and work
   that the host did before recording the start would show. */
int cuEventElapsedTime(float*ms,void*a,void*b){CHK *ms=1.5f*(float)(*(long*)b-*(long*)a-1);return 0;}
int cuEventDestroy_v2(void*e){CHK free(e);return 0;}
/* cuTensorMapEncodeTiled: the driver's checks that matter here (a 64-byte aligned map, rank
   1 to 5, a 16-byte aligned address and strides, boxes of 1 to 256) and an encoding that
   the tests read back: address, rank and types, then dimensions, box and strides. */
int cuTensorMapEncodeTiled(unsigned long long*m,int dt,unsigned r,void*g,const unsigned long long*dims,const unsigned long long*str,
 const unsigned*box,const unsigned*es,int il,int sw,int l2,int oob){
 CHK if(((size_t)m&63)||r<1||r>5||((size_t)g&15)||dt<0||dt>12||sw<0||sw>3||il!=0||l2<0||l2>3||oob<0||oob>1)return 1;
 for(unsigned i=0;i<r;i++){if(box[i]<1||box[i]>256||es[i]!=1||dims[i]<1)return 1;if(i+1<r&&(str[i]%16||str[i]==0))return 1;}
 memset(m,0,128);m[0]=(dptr)g;m[1]=r|(unsigned long long)dt<<8|(unsigned long long)sw<<16|(unsigned long long)l2<<24|(unsigned long long)oob<<32;
 for(unsigned i=0;i<r;i++){m[2+i]=dims[i];m[7+i]=box[i];if(i+1<r)m[12+i]=str[i];}
 return 0;}
