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
H=print
F=str
E=Exception
B='Port'
A=None
import json as C,urllib.request
I=S,T
d={M:S,'Test':T}
class D(E):0
def e(listener,groups):
	for B in listener[U]:
		if B['Type']=='forward':D=B.get('ForwardConfig',{}).get('TargetGroups')or[{J:B[J]}];C={A[J]:A.get('Weight',1)for A in D};return{A:C.pop(groups[A],0)for A in I},sum(C.values())
	return A,0
def f(route,candidates,groups,rollback):
	H=rollback;F=route;E=[A for A in candidates if A];C,J=A,0
	for K in E if H else E[:1]:
		C,J=e(K,groups)
		if C:break
	G=[A for A in I if C and C[A]>0]
	if not H:
		if E and not C:raise D(f"{F} listener on port {E[0][B]} does not forward")
		if J:raise D(f"{F} listener forwards to a group neither blue nor green")
		if E and len(G)!=1:raise D(f"traffic shift in flight ({F}: {C}); nothing changed: update the stack after the deployment")
	if len(G)>1:return C
	L=G[0]if G else d[F];return{A:100 if A==L else 0 for A in I}
def L(elbv2,props,old=A,rollback=N):
	P=rollback;N=props;L='LoadBalancerArn';H=old;S={A:N[A+J]for A in I};H,K,Q=H or{},{},{}
	def R(load_balancer,port):
		A=load_balancer
		if A not in K:C=elbv2.get_paginator(V).paginate(LoadBalancerArn=A);K[A]={F(A[B]):A for C in C for A in C[W]}
		return K[A].get(F(port))
	for(C,E)in N[O].items():
		G=H.get(O,{}).get(C)or{B:H.get(C+B)};T=G[B]is not A and F(G[B])!=F(E[B])
		if C==M and T and not P:raise D(f"production listener would move from port {G[B]} to {E[B]} (listeners.https changed): deploy a new stack")
		U=[R(G.get(L,E[L]),G[B]),R(E[L],E[B])]
		for(X,Y)in f(C,U,S,P).items():Q[C+X]=F(Y)
	return Q
def g(cloudformation,stack_id):
	try:A,=cloudformation.describe_stacks(StackName=stack_id)[X];return'ROLLBACK'in A['StackStatus']
	except E as B:H(C.dumps({'stack status unknown':repr(B)}));return P
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
	P='ResourceProperties';O='Delete';J='RequestType';A=event;R=A.get(Z)or A[K];D,F,B,I='FAILED',{},"see the function's log",N
	try:
		if A.get('ResourceType')=='Custom::EmptyDefaultGroup':
			if A[J]!=O:h(ec2 or G('ec2'),A[P][Y])
		elif A[J]!=O:
			if A[J]=='Update':I=g(cloudformation or G(a),A[Q])
			F=L(elbv2 or G('elbv2'),A[P],A.get('OldResourceProperties'),I)
		D,B='SUCCESS','ok'
	except E as M:B=f"{type(M).__name__}: {M}"
	H(C.dumps({'status':D,b:B,'rollback':I,c:F}));i(A,D,F,B,R)
import json as C
j='1'
k,l=3,15
class m:
	def __init__(A,elbv2):A.elbv2=elbv2
	def get_paginator(A,name):return A
	def paginate(A,**E):
		for B in A.elbv2.get_paginator(V).paginate(**E):
			for C in B[W]:
				for D in A.elbv2.describe_rules(ListenerArn=C['ListenerArn'])['Rules']:
					if D['Priority']==j:C[U]=D['Actions']
			yield B
n=L
def L(elbv2,props,old=A,rollback=N):
	B=rollback;A=old;C=A and(A.get(O)or{M:{}})
	if C and not B and not all('Rule'in A for A in C.values()):raise D('deployment.engine changed from codedeploy to ecs on a live stack: deploy the new engine as a new stack and move traffic to it')
	return n(m(elbv2),props,A,B)
def o(cloudformation,job):
	Q='Expect';O='Image';N='Parameter';M='Stack';I='ParameterKey';F=cloudformation;B=C.loads(job[c]['actionConfiguration']['configuration']['UserParameters']);G={'StackName':B[M],'ChangeSetName':B['ChangeSet']};S,=F.describe_stacks(StackName=B[M])[X];F.create_change_set(**G,ChangeSetType='UPDATE',UsePreviousTemplate=P,Capabilities=['CAPABILITY_IAM'],Parameters=[{I:A[I],'UsePreviousValue':P}for A in S['Parameters']if A[I]!=B[N]]+[{I:B[N],'ParameterValue':B[O]}])
	try:
		F.get_waiter('change_set_create_complete').wait(**G,WaiterConfig={'Delay':k,'MaxAttempts':l});T=F.describe_change_set(**G)['Changes'];J=sorted({A['ResourceChange'][K]for A in T})
		if J!=B[Q]:raise D(f"it would change {J}, not just {B[Q]}")
	except E as L:
		try:F.delete_change_set(**G)
		except E as U:H(C.dumps({'change set kept':repr(U)}))
		V=(R(L,'last_response',A)or{}).get('StatusReason')or L;raise D(f"no release of {B[O]}: {V}")from A
p=handler
def handler(event,context,elbv2=A,cloudformation=A,ec2=A,codepipeline=A):
	L='release';K='CodePipeline.job';D=event;B=codepipeline;A=cloudformation
	if K not in D:return p(D,context,elbv2,A,ec2)
	A=A or G(a);F=D[K];B=B or G('codepipeline')
	try:o(A,F);B.put_job_success_result(jobId=F['id']);H(C.dumps({L:'ready'}))
	except E as I:J=f"{type(I).__name__}: {I}";H(C.dumps({L:'refused',b:J}));B.put_job_failure_result(jobId=F['id'],failureDetails={'type':'JobFailed','message':J[:4999]})