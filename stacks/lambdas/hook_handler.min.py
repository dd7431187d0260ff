J='budget'
I='url'
H=Exception
F=None
E='ratio'
D='paths'
C='requests'
import json,os,ssl,time as A,urllib.error,urllib.request
from fractions import Fraction as K
L,M,N=2,3,2
O=12
class P(urllib.request.HTTPRedirectHandler):
	def redirect_request(A,*B,**C):0
B=ssl.create_default_context()
B.check_hostname=False
B.verify_mode=ssl.CERT_NONE
Q=urllib.request.build_opener(P,urllib.request.HTTPSHandler(context=B))
def R(env):
	A=env;B={I:A['TEST_URL'].rstrip('/'),C:int(A['REQUESTS']),D:[A.strip()for A in A['PATHS'].split(',')if A.strip()],E:K(A['SUCCESS_RATIO']),J:int(A['LATENCY_BUDGET_MS'])/1000}
	if not B[D]or B[C]<1 or not 0<B[E]<=1:raise ValueError(f"bad configuration: {B}")
	return B
def S(c,deadline):
	H,K,B=0,0,{}
	for E in c[D]:
		for M in range(c[C]):
			K+=1;L=deadline-A.monotonic();G=T(c[I]+E,min(c[J],L))if L>0 else'out of time'
			if G is F:H+=1
			else:B[f"{E}: {G}"]=B.get(f"{E}: {G}",0)+1
	return H,K,B
def T(url,timeout):
	D=timeout;G=A.monotonic()
	try:
		with Q.open(url,timeout=D)as E:E.read();B=E.status
	except urllib.error.HTTPError as C:B=C.code
	except H as C:return type(C).__name__
	if A.monotonic()-G>D:return'slow'
	return F if 200<=B<400 else f"HTTP {B}"
def G():import boto3;from botocore.config import Config as A;return boto3.client('codedeploy',config=A(connect_timeout=L,read_timeout=M,retries={'total_max_attempts':N,'mode':'standard'}))
def handler(event,context,codedeploy=F):
	M='status';L='Failed';F=event;C=codedeploy;B,D=L,{}
	try:C=C or G();I=R(os.environ);N=context.get_remaining_time_in_millis()/1000-O;J,K,P=S(I,A.monotonic()+N);B='Succeeded'if J>=I[E]*K else L;D={'successes':J,'attempts':K,'failures':P}
	except H as Q:D={'error':repr(Q)}
	finally:print(json.dumps({M:B,**D}));(C or G()).put_lifecycle_event_hook_execution_status(deploymentId=F['DeploymentId'],lifecycleEventHookExecutionId=F['LifecycleEventHookExecutionId'],status=B)
	return{M:B}