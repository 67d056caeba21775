"""Async job commands: queryAsyncJobResult and listAsyncJobs."""

from __future__ import annotations

import json

from sqlalchemy import select

from native.api.command import ALL_ROLES, Command, CommandContext, ListOwnedCommand
from native.api.params import date, uuid_of
from native.api.responses import Field, ListResult, ResponseObject
from native.model import Account, AsyncJob, Domain, User
from native.model.jobs import JOB_PENDING


class AsyncJobResponse(ResponseObject, object_name="asyncjobs", inline=True):
    accountid = Field("the account id that executed the async command")
    account = Field("the account that executed the async command")
    domainid = Field("the domain id that the account belongs to")
    domainpath = Field("the domain path of the account")
    userid = Field("the user that executed the async command")
    cmd = Field("the async command executed")
    jobstatus = Field("the current job status; 0 is pending, 1 succeeded, 2 failed", type="integer")
    jobprocstatus = Field("the progress information of the PENDING job", type="integer")
    jobresultcode = Field("the result code for the job", type="integer")
    jobresulttype = Field("the result type")
    jobresult = Field("the result reason", type="responseobject")
    created = Field("the created date of the job", type="date")
    completed = Field("the completed date of the job", type="date")
    jobid = Field("the ID of the async job")
    jobinstancetype = Field("the instance/entity object related to the job")
    jobinstanceid = Field("the unique ID of the instance/entity object related to the job")

    @classmethod
    def of(cls, ctx: CommandContext, job: AsyncJob) -> AsyncJobResponse:
        account = ctx.session.get(Account, job.account_id)
        user = ctx.session.get(User, job.user_id)
        assert account is not None and user is not None
        return cls(
            accountid=account.uuid,
            account=account.name,
            domainid=account.domain.uuid,
            domainpath=account.domain.path,
            userid=user.uuid,
            cmd=job.command,
            jobstatus=job.status,
            jobprocstatus=job.proc_status,
            jobresultcode=job.result_code,
            jobresulttype=job.result_type,
            jobresult=None
            if job.status == JOB_PENDING or job.result is None
            else json.loads(job.result),
            created=job.created,
            completed=job.completed,
            jobid=job.uuid,
            jobinstancetype=job.instance_type,
            jobinstanceid=job.instance_id,
        )


class QueryAsyncJobResult(
    Command, api="queryAsyncJobResult", response=AsyncJobResponse, authorized=ALL_ROLES, since="1.0"
):
    """Retrieves the current status of asynchronous job."""

    jobid = uuid_of(AsyncJob, description="the ID of the asynchronous job").required()

    def execute(self, ctx: CommandContext) -> AsyncJobResponse:
        return AsyncJobResponse.of(ctx, self.jobid)


class ListAsyncJobs(
    ListOwnedCommand,
    api="listAsyncJobs",
    response=AsyncJobResponse,
    authorized=ALL_ROLES,
    since="1.0",
):
    """Lists all pending asynchronous jobs for the account."""

    startdate = date(
        description="The start date of the async job (use format \"yyyy-MM-dd'T'HH:mm:ss'+'SSSS\")"
    )

    def execute(self, ctx: CommandContext) -> ListResult:
        query = (
            select(AsyncJob)
            .join(Account, AsyncJob.account_id == Account.id)
            .join(Domain, Account.domain_id == Domain.id)
            .where(self.owner_clause(ctx))
        )
        if self.startdate is not None:
            query = query.where(AsyncJob.created >= self.startdate)
        if self.keyword:
            query = query.where(AsyncJob.command.contains(self.keyword, autoescape=True))
        rows, count = self.page_of_query(ctx, query, AsyncJob.id.desc())
        return ListResult([AsyncJobResponse.of(ctx, row) for row in rows], count)
