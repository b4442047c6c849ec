"""Seeds moto for the plan benchmark: 10 racks in sa-east-1 and 1,000 racks over 5 other regions, every rack
live and as racks.toml says (so the plans find no changes), and writes small.toml, medium.toml (500 of the
racks, 100 per region; medium-local.toml the same racks from a local template) and large.toml into the directory
given. Racks have the rack template's parameters but one cheap resource each, so seeding is quick;
a plan's cost does not depend on a stack's resources.

    python bench-seed.py WORKDIR   (AWS_ENDPOINT_URL and dummy credentials in the environment)

The 10-rack case has a region of its own: plan reads every stack of a region it plans in (to list the racks
racks.toml does not declare), so 10 racks among 200 would cost as much as 200.
"""
import sys

import boto3

work = sys.argv[1]
body = open("examples/templates/rack.yml").read()
params_part, _ = body.split("Conditions:", 1)
body = params_part + "Resources:\n  Handle:\n    Type: AWS::CloudFormation::WaitConditionHandle\n"
s3 = boto3.client("s3", region_name="us-east-1")
s3.create_bucket(Bucket="convox")
# Public, as Convox's bucket is: rackfile reads it unsigned.
s3.put_object(Bucket="convox", Key="release/20161102160040/formation.json", Body=body, ACL="public-read")
releases = '[{"version": "20161102160040", "description": "", "published": true, "required": false}]'
s3.put_object(Bucket="convox", Key="release/versions.json", Body=releases, ACL="public-read")
regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def write(name, layout, template=None):
    with open(f"{work}/{name}", "w") as f:
        f.write('[defaults]\norg = "bench"\nversion = "20161102160040"\n[org.bench]\n')
        for region, count in layout:
            for i in range(count):
                f.write(f'[[rack]]\nname = "rack-{i}"\nregion = "{region}"\n')
                if template:
                    f.write(f'template = "{template}"\n')


# The same racks built from a local file: the body every stack was created with.
with open(f"{work}/rack.yml", "w") as f:
    f.write(body)


write("small.toml", [("sa-east-1", 10)])
write("medium.toml", [(r, 100) for r in regions])
write("medium-local.toml", [(r, 100) for r in regions], template="rack.yml")
write("large.toml", [(r, 200) for r in regions])
for region, count in [(r, 200) for r in regions] + [("sa-east-1", 10)]:
    cfn = boto3.client("cloudformation", region_name=region)
    for i in range(count):
        cfn.create_stack(
            StackName=f"rack-{i}",
            TemplateBody=body,
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[
                {"ParameterKey": k, "ParameterValue": v}
                for k, v in [
                    ("InstanceType", "t2.small"),
                    ("InstanceCount", "3"),
                    ("Private", "No"),
                    ("Version", "20161102160040"),
                    ("Password", "bench-password"),
                ]
            ],
            Tags=[{"Key": "System", "Value": "convox"}, {"Key": "Type", "Value": "rack"}],
        )
