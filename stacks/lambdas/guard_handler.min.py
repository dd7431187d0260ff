Q='PhysicalResourceId'
P=False
O='Production'
N='Green'
M='Blue'
L=print
J='LogicalResourceId'
F='StackId'
E=Exception
I='TargetGroupArn'
B=str
C=None
A='Port'
import json as D,urllib.request
G=M,N
R={O:M,'Test':N}
class H(E):0
def S(listener,groups):
	for A in listener['DefaultActions']:
		if A['Type']=='forward':D=A.get('ForwardConfig',{}).get('TargetGroups')or[{I:A[I]}];B={A[I]:A.get('Weight',1)for A in D};return{A:B.pop(groups[A],0)for A in G},sum(B.values())
	return C,0
def T(route,candidates,groups,rollback):
	I=rollback;E=route;D=[A for A in candidates if A];B,J=C,0
	for K in D if I else D[:1]:
		B,J=S(K,groups)
		if B:break
	F=[A for A in G if B and B[A]>0]
	if not I:
		if D and not B:raise H(f"{E} listener on port {D[0][A]} does not forward")
		if J:raise H(f"{E} listener forwards to a group neither blue nor green")
		if D and len(F)!=1:raise H(f"traffic shift in flight ({E}: {B}); nothing changed: update the stack after the deployment")
	if len(F)>1:return B
	L=F[0]if F else R[E];return{A:100 if A==L else 0 for A in G}
def U(elbv2,props,old=C,rollback=P):
	R='ListenerInputs';N=rollback;M=props;L='LoadBalancerArn';J=old;S={A:M[A+I]for A in G};J,K,P=J or{},{},{}
	def Q(load_balancer,port):
		C=load_balancer
		if C not in K:D=elbv2.get_paginator('describe_listeners').paginate(LoadBalancerArn=C);K[C]={B(C[A]):C for D in D for C in D['Listeners']}
		return K[C].get(B(port))
	for(D,E)in M[R].items():
		F=J.get(R,{}).get(D)or{A:J.get(D+A)};U=F[A]is not C and B(F[A])!=B(E[A])
		if D==O and U and not N:raise H(f"production listener would move from port {F[A]} to {E[A]} (listeners.https changed): deploy a new stack")
		V=[Q(F.get(L,E[L]),F[A]),Q(E[L],E[A])]
		for(W,X)in T(D,V,S,N).items():P[D+W]=B(X)
	return P
def V(cloudformation,stack_id):
	try:A,=cloudformation.describe_stacks(StackName=stack_id)['Stacks'];return'ROLLBACK'in A['StackStatus']
	except E as B:L(D.dumps({'stack status unknown':repr(B)}));return True
def W(event,status,data,reason,physical_id):
	B='RequestId';A=event;C=D.dumps({'Status':status,'Reason':reason[:3000],Q:physical_id,F:A[F],B:A[B],J:A[J],'Data':data}).encode();E=urllib.request.Request(A['ResponseURL'],data=C,method='PUT',headers={'Content-Type':''})
	with urllib.request.urlopen(E,timeout=30)as G:G.read()
def K(service):import boto3;from botocore.config import Config as A;return boto3.client(service,config=A(connect_timeout=5,read_timeout=10,retries={'max_attempts':3,'mode':'standard'}))
def handler(event,context,elbv2=C,cloudformation=C):
	M='RequestType';A=event;N=A.get(Q)or A[J];C,G,B,H='FAILED',{},"see the function's log",P
	try:
		if A[M]!='Delete':
			if A[M]=='Update':H=V(cloudformation or K('cloudformation'),A[F])
			G=U(elbv2 or K('elbv2'),A['ResourceProperties'],A.get('OldResourceProperties'),H)
		C,B='SUCCESS','ok'
	except E as I:B=f"{type(I).__name__}: {I}"
	L(D.dumps({'status':C,'reason':B,'rollback':H,'data':G}));W(A,C,G,B,N)