I='budget'
H='url'
G=Exception
B=None
E='ratio'
D='paths'
C='requests'
import json,os,time as A,urllib.error,urllib.request
from fractions import Fraction as J
K,L,M=2,3,2
N=12
class O(urllib.request.HTTPRedirectHandler):
	def redirect_request(A,*B,**C):0
P=urllib.request.build_opener(O)
def Q(env):
	A=env;B={H:A['TEST_URL'].rstrip('/'),C:int(A['REQUESTS']),D:[A.strip()for A in A['PATHS'].split(',')if A.strip()],E:J(A['SUCCESS_RATIO']),I:int(A['LATENCY_BUDGET_MS'])/1000}
	if not B[D]or B[C]<1 or not 0<B[E]<=1:raise ValueError(f"bad configuration: {B}")
	return B
def R(c,deadline):
	J,K,E=0,0,{}
	for F in c[D]:
		for M in range(c[C]):
			K+=1;L=deadline-A.monotonic();G=S(c[H]+F,min(c[I],L))if L>0 else'out of time'
			if G is B:J+=1
			else:E[f"{F}: {G}"]=E.get(f"{F}: {G}",0)+1
	return J,K,E
def S(url,timeout):
	E=timeout;H=A.monotonic()
	try:
		with P.open(url,timeout=E)as F:F.read();C=F.status
	except urllib.error.HTTPError as D:C=D.code
	except G as D:return type(D).__name__
	if A.monotonic()-H>E:return'slow'
	return B if 200<=C<400 else f"HTTP {C}"
def F():import boto3;from botocore.config import Config as A;return boto3.client('codedeploy',config=A(connect_timeout=K,read_timeout=L,retries={'total_max_attempts':M,'mode':'standard'}))
def handler(event,context,codedeploy=B):
	M='status';L='Failed';H=event;C=codedeploy;B,D=L,{}
	try:C=C or F();I=Q(os.environ);O=context.get_remaining_time_in_millis()/1000-N;J,K,P=R(I,A.monotonic()+O);B='Succeeded'if J>=I[E]*K else L;D={'successes':J,'attempts':K,'failures':P}
	except G as S:D={'error':repr(S)}
	finally:print(json.dumps({M:B,**D}));(C or F()).put_lifecycle_event_hook_execution_status(deploymentId=H['DeploymentId'],lifecycleEventHookExecutionId=H['LifecycleEventHookExecutionId'],status=B)
	return{M:B}