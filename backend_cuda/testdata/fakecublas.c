/* A fake libcublas for TestFakeCUBLAS, on top of fakecuda.c (device memory is host memory):
   cublasGemmEx computes the column-major product that cuBLAS documents, with cuBLAS's own
   argument checks (leading dimensions, types, operations), so that the row-major mapping of
   BLAS.Gemm is tested without a GPU. Every call demands the driver context current, as
   the real library does. The product is computed when it is called, after the work the
   fake driver has queued on the stream before it, as a stream would order them. */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
int cuCtxGetCurrent(void**c);
void fakeStreamDrain(void);
static int ctx(void){void*c=0;cuCtxGetCurrent(&c);return c!=0;}
typedef struct{void*stream;}handle;
int cublasCreate_v2(handle**h){if(!ctx())return 1;*h=calloc(1,sizeof(handle));return 0;}
int cublasDestroy_v2(handle*h){if(!ctx())return 1;free(h);return 0;}
int cublasSetStream_v2(handle*h,void*s){if(!ctx())return 1;if(s!=(void*)0x55)return 7;h->stream=s;return 0;}
int cublasGetVersion_v2(handle*h,int*v){*v=120604;return 0;}
static float ld(const void*p,int t,size_t i){
 if(t==0)return((const float*)p)[i];
 if(t==2)return(float)((const _Float16*)p)[i];
 uint32_t u=(uint32_t)((const uint16_t*)p)[i]<<16;float f;memcpy(&f,&u,4);return f;}
static void st(void*p,int t,size_t i,float v){
 if(t==0){((float*)p)[i]=v;return;}
 if(t==2){((_Float16*)p)[i]=(_Float16)v;return;}
 uint32_t u;memcpy(&u,&v,4);u+=0x7fff+((u>>16)&1);((uint16_t*)p)[i]=(uint16_t)(u>>16);}
/* op(X)[r,c] of a column-major X with leading dimension ldx. */
static float at(const void*x,int t,int op,int ldx,int r,int c){
 return op==0?ld(x,t,(size_t)c*ldx+r):ld(x,t,(size_t)r*ldx+c);}
int cublasGemmEx(handle*h,int ta,int tb,int m,int n,int k,const float*alpha,const void*A,int at_,int lda,
 const void*B,int bt,int ldb,const float*beta,void*C,int ct,int ldc,int compute,int algo){
 if(!ctx())return 1;
 fakeStreamDrain();
 if(h->stream!=(void*)0x55)return 14;
 if(compute!=68||algo!=-1)return 15;
 if(at_!=bt||bt!=ct||(ct!=0&&ct!=2&&ct!=14))return 15;
 if((ta!=0&&ta!=1)||(tb!=0&&tb!=1)||m<0||n<0||k<0)return 7;
 if(lda<(ta==0?(m>1?m:1):(k>1?k:1)))return 7;
 if(ldb<(tb==0?(k>1?k:1):(n>1?n:1)))return 7;
 if(ldc<(m>1?m:1))return 7;
 for(int j=0;j<n;j++)for(int i=0;i<m;i++){
  float s=0;for(int p=0;p<k;p++)s+=at(A,at_,ta,lda,i,p)*at(B,bt,tb,ldb,p,j);
  float c0=*beta==0?0:*beta*ld(C,ct,(size_t)j*ldc+i);
  st(C,ct,(size_t)j*ldc+i,*alpha*s+c0);}
 return 0;}
