c='data'
b='reason'
a='cloudformation'
Z='PhysicalResourceId'
Y='GroupId'
X='Stacks'
W='Listeners'
V='describe_listeners'
U='DefaultActions'
T='Green'
S='Blue'
R=getattr
Q='StackId'
P=True
O='ListenerInputs'
N=False
M='Production'
K='LogicalResourceId'
J='TargetGroupArn'
I=print
F=str
E=Exception
B='Port'
A=None
import json as C,urllib.request
H=S,T
d={M:S,'Test':T}
class D(E):0
def e(listener,groups):
	for B in listener[U]:
		if B['Type']=='forward':D=B.get('ForwardConfig',{}).get('TargetGroups')or[{J:B[J]}];C={A[J]:A.get('Weight',1)for A in D};return{A:C.pop(groups[A],0)for A in H},sum(C.values())
	return A,0
def f(route,candidates,groups,rollback):
	I=rollback;F=route;E=[A for A in candidates if A];C,J=A,0
	for K in E if I else E[:1]:
		C,J=e(K,groups)
		if C:break
	G=[A for A in H if C and C[A]>0]
	if not I:
		if E and not C:raise D(f"{F} listener on port {E[0][B]} does not forward")
		if J:raise D(f"{F} listener forwards to a group neither blue nor green")
		if E and len(G)!=1:raise D(f"traffic shift in flight ({F}: {C}); nothing changed: update the stack after the deployment")
	if len(G)>1:return C
	L=G[0]if G else d[F];return{A:100 if A==L else 0 for A in H}
def L(elbv2,props,old=A,rollback=N):
	P=rollback;N=props;L='LoadBalancerArn';I=old;S={A:N[A+J]for A in H};I,K,Q=I or{},{},{}
	def R(load_balancer,port):
		A=load_balancer
		if A not in K:C=elbv2.get_paginator(V).paginate(LoadBalancerArn=A);K[A]={F(A[B]):A for C in C for A in C[W]}
		return K[A].get(F(port))
	for(C,E)in N[O].items():
		G=I.get(O,{}).get(C)or{B:I.get(C+B)};T=G[B]is not A and F(G[B])!=F(E[B])
		if C==M and T and not P:raise D(f"production listener would move from port {G[B]} to {E[B]} (listeners.https changed): deploy a new stack")
		U=[R(G.get(L,E[L]),G[B]),R(E[L],E[B])]
		for(X,Y)in f(C,U,S,P).items():Q[C+X]=F(Y)
	return Q
def g(cloudformation,stack_id):
	try:A,=cloudformation.describe_stacks(StackName=stack_id)[X];return'ROLLBACK'in A['StackStatus']
	except E as B:I(C.dumps({'stack status unknown':repr(B)}));return P
def h(ec2,group_id):
	A=group_id
	for(B,C)in(('ingress',{'UserIdGroupPairs':[{Y:A}]}),('egress',{'IpRanges':[{'CidrIp':'0.0.0.0/0'}]})):
		try:R(ec2,'revoke_security_group_'+B)(GroupId=A,IpPermissions=[{'IpProtocol':'-1',**C}])
		except E as D:
			if'InvalidPermission.NotFound'not in F(D):raise
def i(event,status,data,reason,physical_id):
	B='RequestId';A=event;D=C.dumps({'Status':status,'Reason':reason[:3000],Z:physical_id,Q:A[Q],B:A[B],K:A[K],'Data':data}).encode();E=urllib.request.Request(A['ResponseURL'],data=D,method='PUT',headers={'Content-Type':''})
	with urllib.request.urlopen(E,timeout=30)as F:F.read()
def G(service):import boto3;from botocore.config import Config as A;return boto3.client(service,config=A(connect_timeout=5,read_timeout=10,retries={'max_attempts':3,'mode':'standard'}))
def handler(event,context,elbv2=A,cloudformation=A,ec2=A):
	P='ResourceProperties';O='Delete';J='RequestType';A=event;R=A.get(Z)or A[K];D,F,B,H='FAILED',{},"see the function's log",N
	try:
		if A.get('ResourceType')=='Custom::EmptyDefaultGroup':
			if A[J]!=O:h(ec2 or G('ec2'),A[P][Y])
		elif A[J]!=O:
			if A[J]=='Update':H=g(cloudformation or G(a),A[Q])
			F=L(elbv2 or G('elbv2'),A[P],A.get('OldResourceProperties'),H)
		D,B='SUCCESS','ok'
	except E as M:B=f"{type(M).__name__}: {M}"
	I(C.dumps({'status':D,b:B,'rollback':H,c:F}));i(A,D,F,B,R)
import json as C
j='1'
class k:
	def __init__(A,elbv2):A.elbv2=elbv2
	def get_paginator(A,name):return A
	def paginate(A,**E):
		for B in A.elbv2.get_paginator(V).paginate(**E):
			for C in B[W]:
				for D in A.elbv2.describe_rules(ListenerArn=C['ListenerArn'])['Rules']:
					if D['Priority']==j:C[U]=D['Actions']
			yield B
l=L
def L(elbv2,props,old=A,rollback=N):
	B=rollback;A=old;C=A and(A.get(O)or{M:{}})
	if C and not B and not all('Rule'in A for A in C.values()):raise D('deployment.engine changed from codedeploy to ecs on a live stack: deploy the new engine as a new stack and move traffic to it')
	return l(k(elbv2),props,A,B)
def m(cloudformation,job):
	O='Expect';N='Image';M='Parameter';L='Stack';H='ParameterKey';F=cloudformation;B=C.loads(job[c]['actionConfiguration']['configuration']['UserParameters']);G={'StackName':B[L],'ChangeSetName':B['ChangeSet']};Q,=F.describe_stacks(StackName=B[L])[X];F.create_change_set(**G,ChangeSetType='UPDATE',UsePreviousTemplate=P,Capabilities=['CAPABILITY_IAM'],Parameters=[{H:A[H],'UsePreviousValue':P}for A in Q['Parameters']if A[H]!=B[M]]+[{H:B[M],'ParameterValue':B[N]}])
	try:
		F.get_waiter('change_set_create_complete').wait(**G,WaiterConfig={'Delay':3,'MaxAttempts':15});S=F.describe_change_set(**G)['Changes'];I=sorted({A['ResourceChange'][K]for A in S})
		if I!=B[O]:raise D(f"it would change {I}, not just {B[O]}")
	except E as J:F.delete_change_set(**G);T=(R(J,'last_response',A)or{}).get('StatusReason')or J;raise D(f"no release of {B[N]}: {T}")from A
n=handler
def handler(event,context,elbv2=A,cloudformation=A,ec2=A,codepipeline=A):
	L='release';K='CodePipeline.job';D=event;B=codepipeline;A=cloudformation
	if K not in D:return n(D,context,elbv2,A,ec2)
	A=A or G(a);F=D[K];B=B or G('codepipeline')
	try:m(A,F);B.put_job_success_result(jobId=F['id']);I(C.dumps({L:'ready'}))
	except E as H:J=f"{type(H).__name__}: {H}";I(C.dumps({L:'refused',b:J}));B.put_job_failure_result(jobId=F['id'],failureDetails={'type':'JobFailed','message':J[:4999]})