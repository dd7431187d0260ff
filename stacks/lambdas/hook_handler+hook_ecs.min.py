S='error'
R='failures'
Q='attempts'
P='successes'
O='budget'
N='url'
M=print
H='status'
G=None
F='paths'
E='requests'
D=Exception
C='ratio'
import json,os,ssl,time as A,urllib.error,urllib.request
from fractions import Fraction as T
U,V,W=2,3,2
I=12
class X(urllib.request.HTTPRedirectHandler):
	def redirect_request(A,*B,**C):0
B=ssl.create_default_context()
B.check_hostname=False
B.verify_mode=ssl.CERT_NONE
Y=urllib.request.build_opener(X,urllib.request.HTTPSHandler(context=B))
def J(env):
	A=env;B={N:A['TEST_URL'].rstrip('/'),E:int(A['REQUESTS']),F:[A.strip()for A in A['PATHS'].split(',')if A.strip()],C:T(A['SUCCESS_RATIO']),O:int(A['LATENCY_BUDGET_MS'])/1000}
	if not B[F]or B[E]<1 or not 0<B[C]<=1:raise ValueError(f"bad configuration: {B}")
	return B
def K(c,deadline):
	H,I,B=0,0,{}
	for C in c[F]:
		for K in range(c[E]):
			I+=1;J=deadline-A.monotonic();D=Z(c[N]+C,min(c[O],J))if J>0 else'out of time'
			if D is G:H+=1
			else:B[f"{C}: {D}"]=B.get(f"{C}: {D}",0)+1
	return H,I,B
def Z(url,timeout):
	E=timeout;H=A.monotonic()
	try:
		with Y.open(url,timeout=E)as F:F.read();B=F.status
	except urllib.error.HTTPError as C:B=C.code
	except D as C:return type(C).__name__
	if A.monotonic()-H>E:return'slow'
	return G if 200<=B<400 else f"HTTP {B}"
def L():import boto3;from botocore.config import Config as A;return boto3.client('codedeploy',config=A(connect_timeout=U,read_timeout=V,retries={'total_max_attempts':W,'mode':'standard'}))
def handler(event,context,codedeploy=G):
	U='Failed';G=event;E=codedeploy;B,F=U,{}
	try:E=E or L();N=J(os.environ);V=context.get_remaining_time_in_millis()/1000-I;O,T,W=K(N,A.monotonic()+V);B='Succeeded'if O>=N[C]*T else U;F={P:O,Q:T,R:W}
	except D as X:F={S:repr(X)}
	finally:M(json.dumps({H:B,**F}));(E or L()).put_lifecycle_event_hook_execution_status(deploymentId=G['DeploymentId'],lifecycleEventHookExecutionId=G['LifecycleEventHookExecutionId'],status=B)
	return{H:B}
import json,os,time as A
def handler(event,context):
	N='FAILED';B,E=N,{}
	try:F=J(os.environ);O=context.get_remaining_time_in_millis()/1000-I;G,L,T=K(F,A.monotonic()+O);B='SUCCEEDED'if G>=F[C]*L else N;E={P:G,Q:L,R:T}
	except D as U:E={S:repr(U)}
	M(json.dumps({H:B,'stage':event.get('lifecycleStage'),**E}));return{'hookStatus':B}