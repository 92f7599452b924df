"""Unit tests of the asynchronous emulator's timing rules (scripts/moto_async.py): dependencies
read from a template, the forward and reverse schedules, durations and their overrides. The
end-to-end behaviour is tested through gapfill in tests/deploy_async.rs.

  $(scripts/venv.sh)/bin/python -m unittest discover -s scripts/python -p 'test_*.py'
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import moto_async  # noqa: E402


class Dependencies(unittest.TestCase):
    def test_ref_getatt_sub_and_depends_on_name_resources_only(self):
        resources = {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Value": {"Ref": "Env"}}]}},
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Role": {"Type": "AWS::IAM::Role"},
            "Param": {
                "Type": "AWS::SSM::Parameter",
                "DependsOn": "Role",
                "Properties": {
                    "Name": {"Fn::Sub": "/${AWS::StackName}/${!Literal}"},
                    "Value": {"Fn::Sub": ["${Queue.Arn} ${T}", {"T": {"Ref": "Topic"}}]},
                },
            },
            "Reader": {
                "Type": "AWS::SSM::Parameter",
                "Metadata": {"Note": {"Ref": "Role"}},
                "Properties": {"Value": {"Fn::GetAtt": ["Param", "Value"]}},
            },
        }
        graph = moto_async.dependencies(resources)
        self.assertEqual(graph["Queue"], set(), "a parameter is no resource")
        self.assertEqual(graph["Param"], {"Queue", "Topic", "Role"})
        self.assertEqual(graph["Reader"], {"Param"}, "metadata makes no dependency")


class Schedules(unittest.TestCase):
    graph = {"A": set(), "B": set(), "C": {"A", "B"}, "D": {"C"}}
    durations = {"A": 2.0, "B": 5.0, "C": 1.0, "D": 3.0}

    def test_independent_resources_run_together_and_dependents_wait_for_the_slowest(self):
        times = moto_async.forward_schedule(self.graph, set(self.graph), self.durations)
        self.assertEqual(times, {"A": (0.0, 2.0), "B": (0.0, 5.0), "C": (5.0, 6.0), "D": (6.0, 9.0)})

    def test_resources_outside_the_work_are_already_there(self):
        times = moto_async.forward_schedule(self.graph, {"C", "D"}, self.durations)
        self.assertEqual(times, {"C": (0.0, 1.0), "D": (1.0, 4.0)})

    def test_deletion_goes_from_dependents_to_what_they_need(self):
        times = moto_async.reverse_schedule(self.graph, set(self.graph), self.durations, 10.0)
        self.assertEqual(times["D"], (10.0, 13.0))
        self.assertEqual(times["C"], (13.0, 14.0))
        self.assertEqual(times["A"], (14.0, 16.0))
        self.assertEqual(times["B"], (14.0, 19.0))


class Durations(unittest.TestCase):
    def setUp(self):
        self.scale = os.environ.pop("GAPFILL_EMULATOR_TIME_SCALE", None)

    def tearDown(self):
        if self.scale is not None:
            os.environ["GAPFILL_EMULATOR_TIME_SCALE"] = self.scale

    def test_type_table_metadata_override_and_scale(self):
        queue = {"Type": "AWS::SQS::Queue"}
        own = {"Type": "AWS::SQS::Queue", "Metadata": {"Emulator": {"Duration": 7}}}
        self.assertEqual(moto_async.duration(queue), moto_async.DURATIONS["AWS::SQS::Queue"])
        self.assertEqual(moto_async.duration({"Type": "Custom::Thing"}), moto_async.DEFAULT_DURATION)
        self.assertEqual(moto_async.duration(own), 7)
        os.environ["GAPFILL_EMULATOR_TIME_SCALE"] = "0.5"
        self.assertEqual(moto_async.duration(own), 3.5)

    def test_failure_markers(self):
        marked = {"Type": "AWS::SNS::Topic", "Metadata": {"Emulator": {"Fail": "no", "RollbackFail": "stuck"}}}
        self.assertEqual(moto_async.fail_reason(marked), "no")
        self.assertEqual(moto_async.rollback_fail_reason(marked), "stuck")
        self.assertIsNone(moto_async.fail_reason({"Type": "AWS::SNS::Topic"}))


if __name__ == "__main__":
    unittest.main()
