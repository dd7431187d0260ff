R='PhysicalResourceId'
Q='GroupId'
P=False
O='Production'
N='Green'
M='Blue'
L=print
K='LogicalResourceId'
J='StackId'
I='TargetGroupArn'
D=Exception
C=str
B=None
A='Port'
import json as E,urllib.request
G=M,N
S={O:M,'Test':N}
class H(D):0
def T(listener,groups):
	for A in listener['DefaultActions']:
		if A['Type']=='forward':D=A.get('ForwardConfig',{}).get('TargetGroups')or[{I:A[I]}];C={A[I]:A.get('Weight',1)for A in D};return{A:C.pop(groups[A],0)for A in G},sum(C.values())
	return B,0
def U(route,candidates,groups,rollback):
	I=rollback;E=route;D=[A for A in candidates if A];C,J=B,0
	for K in D if I else D[:1]:
		C,J=T(K,groups)
		if C:break
	F=[A for A in G if C and C[A]>0]
	if not I:
		if D and not C:raise H(f"{E} listener on port {D[0][A]} does not forward")
		if J:raise H(f"{E} listener forwards to a group neither blue nor green")
		if D and len(F)!=1:raise H(f"traffic shift in flight ({E}: {C}); nothing changed: update the stack after the deployment")
	if len(F)>1:return C
	L=F[0]if F else S[E];return{A:100 if A==L else 0 for A in G}
def V(elbv2,props,old=B,rollback=P):
	R='ListenerInputs';N=rollback;M=props;L='LoadBalancerArn';J=old;S={A:M[A+I]for A in G};J,K,P=J or{},{},{}
	def Q(load_balancer,port):
		B=load_balancer
		if B not in K:D=elbv2.get_paginator('describe_listeners').paginate(LoadBalancerArn=B);K[B]={C(B[A]):B for D in D for B in D['Listeners']}
		return K[B].get(C(port))
	for(D,E)in M[R].items():
		F=J.get(R,{}).get(D)or{A:J.get(D+A)};T=F[A]is not B and C(F[A])!=C(E[A])
		if D==O and T and not N:raise H(f"production listener would move from port {F[A]} to {E[A]} (listeners.https changed): deploy a new stack")
		V=[Q(F.get(L,E[L]),F[A]),Q(E[L],E[A])]
		for(W,X)in U(D,V,S,N).items():P[D+W]=C(X)
	return P
def W(cloudformation,stack_id):
	try:A,=cloudformation.describe_stacks(StackName=stack_id)['Stacks'];return'ROLLBACK'in A['StackStatus']
	except D as B:L(E.dumps({'stack status unknown':repr(B)}));return True
def X(ec2,group_id):
	A=group_id
	for(B,E)in(('ingress',{'UserIdGroupPairs':[{Q:A}]}),('egress',{'IpRanges':[{'CidrIp':'0.0.0.0/0'}]})):
		try:getattr(ec2,'revoke_security_group_'+B)(GroupId=A,IpPermissions=[{'IpProtocol':'-1',**E}])
		except D as F:
			if'InvalidPermission.NotFound'not in C(F):raise
def Y(event,status,data,reason,physical_id):
	B='RequestId';A=event;C=E.dumps({'Status':status,'Reason':reason[:3000],R:physical_id,J:A[J],B:A[B],K:A[K],'Data':data}).encode();D=urllib.request.Request(A['ResponseURL'],data=C,method='PUT',headers={'Content-Type':''})
	with urllib.request.urlopen(D,timeout=30)as F:F.read()
def F(service):import boto3;from botocore.config import Config as A;return boto3.client(service,config=A(connect_timeout=5,read_timeout=10,retries={'max_attempts':3,'mode':'standard'}))
def handler(event,context,elbv2=B,cloudformation=B,ec2=B):
	O='ResourceProperties';N='Delete';I='RequestType';A=event;S=A.get(R)or A[K];C,G,B,H='FAILED',{},"see the function's log",P
	try:
		if A.get('ResourceType')=='Custom::EmptyDefaultGroup':
			if A[I]!=N:X(ec2 or F('ec2'),A[O][Q])
		elif A[I]!=N:
			if A[I]=='Update':H=W(cloudformation or F('cloudformation'),A[J])
			G=V(elbv2 or F('elbv2'),A[O],A.get('OldResourceProperties'),H)
		C,B='SUCCESS','ok'
	except D as M:B=f"{type(M).__name__}: {M}"
	L(E.dumps({'status':C,'reason':B,'rollback':H,'data':G}));Y(A,C,G,B,S)